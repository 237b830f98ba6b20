#include "catalog/postgres_catalog_store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace mercato::catalog {
namespace {

// Any constant; serialises seeding between replicas.
constexpr int64_t kSeedLockId = 0x63617461;

constexpr char kColumns[] =
    "id::text, name, description, price_amount, currency, array_to_json(categories)::text, "
    "image_url, stock";
constexpr int kColumnCount = 8;

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
  return p;
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

}  // namespace

absl::StatusOr<ProductPage> PostgresCatalogStore::SearchProducts(const ProductQuery& q) {
  ProductPage page;
  const std::string tsquery = PrefixTsQuery(q.text);
  if (tsquery.empty()) return page;  // nothing searchable: no results
  absl::Status status = pool_.Transact<pqxx::read_transaction>(
      [&](pqxx::read_transaction& tx) -> absl::Status {
        const int fetch = q.limit + 1;  // one more tells whether there is a next page
        const std::string sql = absl::StrCat(
            "WITH q AS (SELECT to_tsquery('english', $1) AS query) "
            "SELECT ", kColumns, ", ts_rank(search, q.query)::text FROM products, q "
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
  absl::Status status = pool_.Transact<pqxx::read_transaction>(
      [&](pqxx::read_transaction& tx) -> absl::Status {
        auto rows = tx.exec_params(
            absl::StrCat("SELECT ", kColumns,
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
  absl::Status status = pool_.Transact<pqxx::read_transaction>(
      [&](pqxx::read_transaction& tx) -> absl::Status {
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
  absl::Status status = pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
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

absl::StatusOr<int> PostgresCatalogStore::SeedIfEmpty(
    const std::vector<v1::Category>& categories, const std::vector<v1::Product>& products) {
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
          "image_url, stock) VALUES ($1, $2, $3, $4, $5, "
          "ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), $7, $8)",
          p.id(), p.name(), p.description(), p.price().amount(), p.price().currency(),
          JsonArray(p.categories()), p.image_url(), p.stock());
      ++inserted;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return inserted;
}

}  // namespace mercato::catalog
