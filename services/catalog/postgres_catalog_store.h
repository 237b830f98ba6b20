// CatalogStore on PostgreSQL (schema in migrations/): products, categories, search, admin
// writes; the reservations are PostgresInventoryStore's (postgres_inventory_store.h), which
// this store hands them to.
#pragma once

#include <cstdint>

#include "catalog/catalog_store.h"
#include "catalog/postgres_inventory_store.h"
#include "db/pg_pool.h"

namespace mercato::catalog {

// What StockChanged calls low by default (MERCATO_LOW_STOCK_THRESHOLD).
inline constexpr int64_t kDefaultLowStockThreshold = 5;

// Every change of a product's facts or sellable stock also appends its event
// (product_events.h) to the outbox (libs/events) in the same transaction; StockChanged's
// low_stock flag is sellable <= low_stock_threshold.
class PostgresCatalogStore final : public CatalogStore {
 public:
  explicit PostgresCatalogStore(PgPool& pool,
                                int64_t low_stock_threshold = kDefaultLowStockThreshold)
      : pool_(pool),
        low_stock_threshold_(low_stock_threshold),
        inventory_(pool, low_stock_threshold) {}

  absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() override;
  absl::StatusOr<std::vector<v1::Category>> ListCategories() override;
  absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>& categories,
                                  const std::vector<v1::Product>& products) override;

  // Inventory: PostgresInventoryStore's (postgres_inventory_store.h).
  absl::StatusOr<ReservationChange> ReserveStock(const std::string& reservation_id,
                                                 const std::vector<v1::ReservationItem>& items,
                                                 std::chrono::seconds ttl) override {
    return inventory_.ReserveStock(reservation_id, items, ttl);
  }
  absl::StatusOr<ReservationChange> CommitReservation(const std::string& reservation_id) override {
    return inventory_.CommitReservation(reservation_id);
  }
  absl::StatusOr<ReservationChange> ReleaseReservation(const std::string& reservation_id) override {
    return inventory_.ReleaseReservation(reservation_id);
  }
  absl::StatusOr<ReservationChange> ReturnStock(const std::string& reservation_id) override {
    return inventory_.ReturnStock(reservation_id);
  }
  absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) override {
    return inventory_.ExpireReservations(limit);
  }

  absl::StatusOr<VersionedProduct> CreateProduct(const v1::Product& product) override;
  absl::StatusOr<VersionedProduct> UpdateProduct(const v1::Product& product,
                                                 const ProductFields& fields) override;
  absl::StatusOr<VersionedProduct> SetStock(const std::string& product_id, int64_t stock) override;

 private:
  PgPool& pool_;
  const int64_t low_stock_threshold_;
  PostgresInventoryStore inventory_;
};

}  // namespace mercato::catalog
