// An in-memory CatalogStore for unit tests of the catalog service. Whoever adds a method to
// CatalogStore adds it here too. Stock follows the store's model: on_hand and reserved, with
// stock = on_hand - reserved (a product put into `products` with only stock set has that
// many on hand).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "common/status.h"

namespace mercato::catalog {

class FakeCatalogStore : public CatalogStore {
 public:
  std::map<std::string, VersionedProduct> products;
  std::vector<v1::Category> categories;
  // What SearchProducts returns, and the queries it was asked.
  ProductPage search_result;
  std::vector<ProductQuery> searches;
  int load_calls = 0;
  // Inventory: reservations by id (a simplified model of the PostgreSQL store, without
  // expiry times), and the arguments of the last calls.
  std::map<std::string, v1::Reservation> reservations;
  std::vector<v1::ReservationItem> last_reserve_items;
  std::chrono::seconds last_reserve_ttl{0};
  // Admin writes: the last fields UpdateProduct was asked to write.
  ProductFields last_update_fields;

  absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) override {
    searches.push_back(query);
    return search_result;
  }
  absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) override {
    ++load_calls;
    std::vector<VersionedProduct> out;
    for (const auto& id : ids) {
      if (auto it = products.find(id); it != products.end()) out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() override {
    std::vector<VersionedProduct> out;
    for (const auto& [id, p] : products) out.push_back(p);
    return out;
  }
  absl::StatusOr<std::vector<v1::Category>> ListCategories() override { return categories; }
  absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>&,
                                  const std::vector<v1::Product>&) override {
    return 0;
  }

  absl::StatusOr<ReservationChange> ReserveStock(const std::string& id,
                                                 const std::vector<v1::ReservationItem>& items,
                                                 std::chrono::seconds ttl) override {
    last_reserve_items = items;
    last_reserve_ttl = ttl;
    if (auto it = reservations.find(id); it != reservations.end()) {
      const auto state = it->second.state();
      if (state == v1::RESERVATION_STATE_RELEASED || state == v1::RESERVATION_STATE_EXPIRED) {
        return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_closed",
                                      "closed");
      }
      return ReservationChange{it->second, false};
    }
    for (const auto& item : items) {
      auto p = products.find(item.product_id());
      if (p == products.end()) {
        return mercato::ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found",
                                      item.product_id());
      }
      if (Sellable(p->second.product) < item.quantity()) {
        return mercato::ErrorWithCode(
            absl::StatusCode::kFailedPrecondition, "out_of_stock",
            absl::StrCat("not enough stock for product ", item.product_id()));
      }
    }
    v1::Reservation r;
    r.set_reservation_id(id);
    r.set_state(v1::RESERVATION_STATE_HELD);
    for (const auto& item : items) {
      Hold(products[item.product_id()], item.quantity(), 0);
      *r.add_items() = item;
    }
    reservations[id] = r;
    return ReservationChange{r, true};
  }
  absl::StatusOr<ReservationChange> CommitReservation(const std::string& id) override {
    auto it = reservations.find(id);
    if (it == reservations.end()) {
      return mercato::ErrorWithCode(absl::StatusCode::kNotFound, "reservation_not_found", id);
    }
    if (it->second.state() == v1::RESERVATION_STATE_COMMITTED) {
      return ReservationChange{it->second, false};
    }
    if (it->second.state() != v1::RESERVATION_STATE_HELD) {
      return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_closed",
                                    id);
    }
    for (const auto& item : it->second.items()) {
      Hold(products[item.product_id()], -item.quantity(), -item.quantity());
    }
    it->second.set_state(v1::RESERVATION_STATE_COMMITTED);
    return ReservationChange{it->second, true};
  }
  absl::StatusOr<ReservationChange> ReleaseReservation(const std::string& id) override {
    auto it = reservations.find(id);
    if (it == reservations.end()) {
      v1::Reservation tombstone;
      tombstone.set_reservation_id(id);
      tombstone.set_state(v1::RESERVATION_STATE_RELEASED);
      reservations[id] = tombstone;
      return ReservationChange{tombstone, true};
    }
    if (it->second.state() == v1::RESERVATION_STATE_COMMITTED ||
        it->second.state() == v1::RESERVATION_STATE_RETURNED) {
      return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_committed",
                                    id);
    }
    if (it->second.state() != v1::RESERVATION_STATE_HELD) {
      return ReservationChange{it->second, false};
    }
    for (const auto& item : it->second.items()) {
      Hold(products[item.product_id()], -item.quantity(), 0);
    }
    it->second.set_state(v1::RESERVATION_STATE_RELEASED);
    return ReservationChange{it->second, true};
  }
  absl::StatusOr<ReservationChange> ReturnStock(const std::string& id) override {
    auto it = reservations.find(id);
    if (it == reservations.end()) {
      return mercato::ErrorWithCode(absl::StatusCode::kNotFound, "reservation_not_found", id);
    }
    if (it->second.state() == v1::RESERVATION_STATE_RETURNED) {
      return ReservationChange{it->second, false};
    }
    if (it->second.state() != v1::RESERVATION_STATE_COMMITTED) {
      return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                    "reservation_not_committed", id);
    }
    for (const auto& item : it->second.items()) {
      Hold(products[item.product_id()], 0, item.quantity());
    }
    it->second.set_state(v1::RESERVATION_STATE_RETURNED);
    return ReservationChange{it->second, true};
  }
  // Expires every held reservation (the fake has no clock).
  absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) override {
    ExpiredReservations out;
    for (auto& [id, r] : reservations) {
      if (out.reservations == limit) break;
      if (r.state() != v1::RESERVATION_STATE_HELD) continue;
      for (const auto& item : r.items()) {
        Hold(products[item.product_id()], -item.quantity(), 0);
        out.product_ids.push_back(item.product_id());
      }
      r.set_state(v1::RESERVATION_STATE_EXPIRED);
      ++out.reservations;
    }
    std::sort(out.product_ids.begin(), out.product_ids.end());
    out.product_ids.erase(std::unique(out.product_ids.begin(), out.product_ids.end()),
                          out.product_ids.end());
    return out;
  }

  absl::StatusOr<VersionedProduct> CreateProduct(const v1::Product& product) override {
    if (products.count(product.id())) return absl::AlreadyExistsError(product.id());
    VersionedProduct& stored = products[product.id()] = VersionedProduct{product, 1};
    stored.product.set_on_hand(product.stock());
    stored.product.set_reserved(0);
    return stored;
  }
  absl::StatusOr<VersionedProduct> UpdateProduct(const v1::Product& product,
                                                 const ProductFields& fields) override {
    last_update_fields = fields;
    auto it = products.find(product.id());
    if (it == products.end()) {
      return mercato::ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found", product.id());
    }
    v1::Product& p = it->second.product;
    if (fields.name) p.set_name(product.name());
    if (fields.description) p.set_description(product.description());
    if (fields.price) *p.mutable_price() = product.price();
    if (fields.categories) *p.mutable_categories() = product.categories();
    if (fields.image_url) p.set_image_url(product.image_url());
    if (fields.stock) {
      if (product.stock() < p.reserved()) return BelowReserved();
      p.set_on_hand(product.stock());
      p.set_stock(product.stock() - p.reserved());
    }
    ++it->second.version;
    return it->second;
  }
  absl::StatusOr<VersionedProduct> SetStock(const std::string& product_id, int64_t stock) override {
    auto it = products.find(product_id);
    if (it == products.end()) {
      return mercato::ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found", product_id);
    }
    v1::Product& p = it->second.product;
    if (stock < p.reserved()) return BelowReserved();
    p.set_on_hand(stock);
    p.set_stock(stock - p.reserved());
    ++it->second.version;
    return it->second;
  }

 private:
  // A product given with only `stock` has that many on hand, none held.
  static int64_t Sellable(const v1::Product& p) {
    return p.on_hand() == 0 && p.reserved() == 0 ? p.stock() : p.on_hand() - p.reserved();
  }
  // Adds to reserved and on hand and recomputes stock.
  static void Hold(VersionedProduct& vp, int64_t reserved, int64_t on_hand) {
    v1::Product& p = vp.product;
    if (p.on_hand() == 0 && p.reserved() == 0) p.set_on_hand(p.stock());
    p.set_reserved(p.reserved() + reserved);
    p.set_on_hand(p.on_hand() + on_hand);
    p.set_stock(p.on_hand() - p.reserved());
    ++vp.version;
  }
  static absl::Status BelowReserved() {
    return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition, "stock_below_reserved",
                                  "held units exceed it");
  }
};

}  // namespace mercato::catalog
