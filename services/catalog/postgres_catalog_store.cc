#include "catalog/postgres_catalog_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "catalog/product_events.h"
#include "catalog/store_rows.h"
#include "common/ids.h"
#include "common/status.h"
#include "events/outbox.h"

namespace mercato::catalog {
namespace {

// Any constant; serialises seeding between replicas.
constexpr int64_t kSeedLockId = 0x63617461;

// stock is generated: on_hand - reserved (migration 004).
constexpr char kColumns[] =
    "id::text, name, description, price_amount, currency, array_to_json(categories)::text, "
    "image_url, stock, on_hand, reserved";
constexpr int kColumnCount = 10;

v1::Product ProductFromRow(const pqxx::row& row) {
  v1::Product p;
  p.set_id(row[0].as<std::string>());
  p.set_name(row[1].as<std::string>());
  p.set_description(row[2].as<std::string>());
  p.mutable_price()->set_amount(row[3].as<int64_t>());
  p.mutable_price()->set_currency(row[4].as<std::string>());
  for (const auto& c : nlohmann::json::parse(row[5].as<std::string>())) {
    p.add_categories(c.get<std::string>());
  }
  p.set_image_url(row[6].as<std::string>());
  p.set_stock(row[7].as<int64_t>());
  p.set_on_hand(row[8].as<int64_t>());
  p.set_reserved(row[9].as<int64_t>());
  return p;
}

// The events of a product going from `before` (nullopt: new) to `after`.
absl::Status AppendProductEvents(pqxx::work& tx, const std::optional<v1::Product>& before,
                                 const v1::Product& after, int64_t low_stock_threshold) {
  if (!before || ProductFactsChanged(*before, after)) {
    absl::Status s = events::AppendToOutbox(tx, ProductChangedEvent(after));
    if (!s.ok()) return s;
  }
  if (before && before->stock() == after.stock()) return absl::OkStatus();
  return AppendStockChanged(tx, after.id(), after.stock(), low_stock_threshold);
}

// The product's row, locked until the transaction ends (nullopt: none).
std::optional<v1::Product> LockProduct(pqxx::work& tx, const std::string& id) {
  auto rows = tx.exec_params(
      absl::StrCat("SELECT ", kColumns, " FROM products WHERE id = $1::uuid FOR UPDATE"), id);
  if (rows.empty()) return std::nullopt;
  return ProductFromRow(rows[0]);
}

std::string JsonArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return nlohmann::json(std::vector<std::string>(values.begin(), values.end())).dump();
}

// "Cast iron skil" -> "cast:* & iron:* & skil:*": every word must match, each as a prefix so
// that results appear while the shopper is still typing. Only ASCII letters and digits and
// non-ASCII bytes (letters of other scripts) are kept, so nothing in the input can be
// tsquery syntax.
std::string PrefixTsQuery(const std::string& text) {
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += " & ";
    out += word + ":*";
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      word.push_back(static_cast<char>(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// Why setting on hand to `on_hand` changed no row: no such product, or fewer units than
// reservations hold.
absl::Status OnHandRefused(pqxx::work& tx, const std::string& id, int64_t on_hand) {
  auto row = tx.exec_params("SELECT reserved FROM products WHERE id = $1::uuid", id);
  if (row.empty()) return ProductNotFound(id);
  const int64_t reserved = row[0][0].as<int64_t>();
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "stock_below_reserved",
                       absl::StrCat("stock (on hand) cannot be ", on_hand, ": ", reserved,
                                    " units are held by pending orders; set at least ", reserved,
                                    " or retry when they are sold or released"));
}

}  // namespace

absl::StatusOr<ProductPage> PostgresCatalogStore::SearchProducts(const ProductQuery& q) {
  ProductPage page;
  const std::string tsquery = PrefixTsQuery(q.text);
  if (tsquery.empty()) return page;  // nothing searchable: no results
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        const int fetch = q.limit + 1;  // one more tells whether there is a next page
        const std::string sql = absl::StrCat(
            "WITH q AS (SELECT to_tsquery('english', $1) AS query) "
            "SELECT ",
            kColumns,
            ", ts_rank(search, q.query)::text FROM products, q "
            "WHERE search @@ q.query AND ($2 = '' OR categories @> ARRAY[$2]) ",
            q.after ? "AND (ts_rank(search, q.query) < $4::real OR "
                      "(ts_rank(search, q.query) = $4::real AND id > $5::uuid)) "
                    : "",
            "ORDER BY ts_rank(search, q.query) DESC, id LIMIT $3");
        pqxx::result rows =
            q.after ? tx.exec_params(sql, tsquery, q.category, fetch, q.after->rank, q.after->id)
                    : tx.exec_params(sql, tsquery, q.category, fetch);
        page.has_more = static_cast<int>(rows.size()) > q.limit;
        const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(q.limit));
        for (size_t i = 0; i < n; ++i) {
          page.products.push_back(ProductFromRow(rows[i]));
          if (i + 1 == n) {
            page.last = ProductCursor{.name = "",
                                      .rank = rows[i][kColumnCount].as<std::string>(),
                                      .id = page.products.back().id()};
          }
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<std::vector<VersionedProduct>> PostgresCatalogStore::LoadProducts(
    const std::vector<std::string>& ids) {
  std::vector<std::string> valid;
  for (const auto& id : ids) {
    if (IsUuid(id)) valid.push_back(id);
  }
  std::vector<VersionedProduct> products;
  if (valid.empty()) return products;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto rows =
            tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                        ", version FROM products WHERE id = ANY(ARRAY(SELECT "
                                        "jsonb_array_elements_text($1::jsonb))::uuid[])"),
                           nlohmann::json(valid).dump());
        for (const auto& row : rows) {
          products.push_back({ProductFromRow(row), row[kColumnCount].as<int64_t>()});
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return products;
}

absl::StatusOr<std::vector<VersionedProduct>> PostgresCatalogStore::LoadAllProducts() {
  std::vector<VersionedProduct> products;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        for (const auto& row :
             tx.exec(absl::StrCat("SELECT ", kColumns, ", version FROM products"))) {
          products.push_back({ProductFromRow(row), row[kColumnCount].as<int64_t>()});
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return products;
}

absl::StatusOr<std::vector<v1::Category>> PostgresCatalogStore::ListCategories() {
  std::vector<v1::Category> categories;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        for (const auto& row : tx.exec("SELECT id, name FROM categories ORDER BY position, name")) {
          v1::Category c;
          c.set_id(row[0].as<std::string>());
          c.set_name(row[1].as<std::string>());
          categories.push_back(std::move(c));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return categories;
}

absl::StatusOr<int> PostgresCatalogStore::SeedIfEmpty(const std::vector<v1::Category>& categories,
                                                      const std::vector<v1::Product>& products) {
  int inserted = 0;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    inserted = 0;
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSeedLockId);
    if (tx.exec("SELECT 1 FROM products LIMIT 1").size() > 0) return absl::OkStatus();
    int position = 0;
    for (const auto& c : categories) {
      tx.exec_params(
          "INSERT INTO categories (id, name, position) VALUES ($1, $2, $3) "
          "ON CONFLICT (id) DO NOTHING",
          c.id(), c.name(), position++);
    }
    for (const auto& p : products) {
      tx.exec_params(
          "INSERT INTO products (id, name, description, price_amount, currency, categories, "
          "image_url, on_hand) VALUES ($1, $2, $3, $4, $5, "
          "ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), $7, $8)",
          p.id(), p.name(), p.description(), p.price().amount(), p.price().currency(),
          JsonArray(p.categories()), p.image_url(), p.stock());
      // Read models elsewhere learn the seeded catalog like any other product.
      absl::Status s = AppendProductEvents(tx, std::nullopt, p, low_stock_threshold_);
      if (!s.ok()) return s;
      ++inserted;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return inserted;
}

absl::StatusOr<VersionedProduct> PostgresCatalogStore::CreateProduct(const v1::Product& p) {
  VersionedProduct result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(
        absl::StrCat("INSERT INTO products (id, name, description, price_amount, currency, "
                     "categories, image_url, on_hand) VALUES ($1::uuid, $2, $3, $4, $5, "
                     "ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), $7, $8) RETURNING ",
                     kColumns, ", version"),
        p.id(), p.name(), p.description(), p.price().amount(), p.price().currency(),
        JsonArray(p.categories()), p.image_url(), p.stock());
    result = {ProductFromRow(rows[0]), rows[0][kColumnCount].as<int64_t>()};
    return AppendProductEvents(tx, std::nullopt, result.product, low_stock_threshold_);
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<VersionedProduct> PostgresCatalogStore::UpdateProduct(const v1::Product& p,
                                                                     const ProductFields& f) {
  if (!IsUuid(p.id())) return ProductNotFound(p.id());
  VersionedProduct result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    // The state before, for the events: what changed.
    const std::optional<v1::Product> before = LockProduct(tx, p.id());
    if (!before) return ProductNotFound(p.id());
    // One statement for every combination of fields: each column keeps its value unless
    // its flag is set.
    auto rows = tx.exec_params(
        absl::StrCat(
            "UPDATE products SET "
            "name = CASE WHEN $2::boolean THEN $3 ELSE name END, "
            "description = CASE WHEN $4::boolean THEN $5 ELSE description END, "
            "price_amount = CASE WHEN $6::boolean THEN $7::bigint ELSE price_amount END, "
            "currency = CASE WHEN $6::boolean THEN $8 ELSE currency END, "
            "categories = CASE WHEN $9::boolean "
            "THEN ARRAY(SELECT jsonb_array_elements_text($10::jsonb)) ELSE categories END, "
            "image_url = CASE WHEN $11::boolean THEN $12 ELSE image_url END, "
            "on_hand = CASE WHEN $13::boolean THEN $14::bigint ELSE on_hand END "
            "WHERE id = $1::uuid AND (NOT $13::boolean OR reserved <= $14::bigint) RETURNING ",
            kColumns, ", version"),
        p.id(), f.name, p.name(), f.description, p.description(), f.price, p.price().amount(),
        p.price().currency(), f.categories, JsonArray(p.categories()), f.image_url, p.image_url(),
        f.stock, p.stock());
    if (rows.empty()) {
      return f.stock ? OnHandRefused(tx, p.id(), p.stock()) : ProductNotFound(p.id());
    }
    result = {ProductFromRow(rows[0]), rows[0][kColumnCount].as<int64_t>()};
    return AppendProductEvents(tx, before, result.product, low_stock_threshold_);
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<VersionedProduct> PostgresCatalogStore::SetStock(const std::string& product_id,
                                                                int64_t stock) {
  if (!IsUuid(product_id)) return ProductNotFound(product_id);
  VersionedProduct result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    const std::optional<v1::Product> before = LockProduct(tx, product_id);
    if (!before) return ProductNotFound(product_id);
    // On hand, held units included; refused below what reservations hold, so that sellable
    // (on_hand - reserved) never goes negative.
    auto rows = tx.exec_params(absl::StrCat("UPDATE products SET on_hand = $2 "
                                            "WHERE id = $1::uuid AND reserved <= $2 RETURNING ",
                                            kColumns, ", version"),
                               product_id, stock);
    if (rows.empty()) return OnHandRefused(tx, product_id, stock);
    result = {ProductFromRow(rows[0]), rows[0][kColumnCount].as<int64_t>()};
    return AppendProductEvents(tx, before, result.product, low_stock_threshold_);
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace mercato::catalog
