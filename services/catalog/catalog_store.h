// Storage behind the catalog service. PostgresCatalogStore is the real one; unit tests use
// fakes of this interface. Browsing is answered from ProductCache, which is filled from
// here; full-text search runs here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog {

// Where a page starts: after the product with this sort key. Browsing sorts by (name, id);
// a text search by (rank descending, id).
struct ProductCursor {
  std::string name;
  // The search rank as PostgreSQL prints a real, so it compares exactly on the next page.
  std::string rank;
  std::string id;
};

struct ProductQuery {
  std::string category;  // empty: all
  std::string text;      // empty: browse, else full-text search
  int limit = 20;
  std::optional<ProductCursor> after;
};

struct ProductPage {
  std::vector<v1::Product> products;
  // The sort key of the last product, for the next page's cursor.
  std::optional<ProductCursor> last;
  bool has_more = false;
};

// A product row and its version (incremented by every update).
struct VersionedProduct {
  v1::Product product;
  int64_t version = 0;
};

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  // Full-text search (query.text must not be empty), best match first.
  virtual absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) = 0;
  // The products that exist among `ids` (ids that are not UUIDs are skipped).
  virtual absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() = 0;
  virtual absl::StatusOr<std::vector<v1::Category>> ListCategories() = 0;

  // Inserts categories and products unless the catalog already has products; idempotent and
  // safe when several replicas start at once. Returns the number of products inserted.
  virtual absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>& categories,
                                          const std::vector<v1::Product>& products) = 0;
};

using CatalogStorePtr = std::unique_ptr<CatalogStore>;

}  // namespace mercato::catalog
