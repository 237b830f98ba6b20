// Storage behind the catalog service. PostgresCatalogStore is the real one; unit tests use
// fakes of this interface. Browsing is answered from ProductCache, which is filled from
// here; full-text search and admin writes run here. Inventory (the stock reservations) is the
// InventoryStore half of this interface (inventory_store.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/inventory_store.h"
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

// Which Product fields an update writes.
struct ProductFields {
  bool name = false;
  bool description = false;
  bool price = false;
  bool categories = false;
  bool image_url = false;
  bool stock = false;

  static ProductFields All() { return {true, true, true, true, true, true}; }
};

// Products, categories and admin writes; the reservations come from InventoryStore.
class CatalogStore : public InventoryStore {
 public:
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

  // Admin writes; the product is validated by the caller. They return the row as stored.
  // CreateProduct: product.id is set by the caller. ALREADY_EXISTS when it is taken.
  virtual absl::StatusOr<VersionedProduct> CreateProduct(const v1::Product& product) = 0;
  // Writes the `fields` of `product` to the row with product.id; NOT_FOUND when none.
  virtual absl::StatusOr<VersionedProduct> UpdateProduct(const v1::Product& product,
                                                         const ProductFields& fields) = 0;
  // Sets the quantity on hand (held units included); FAILED_PRECONDITION
  // "stock_below_reserved" when reservations hold more than that (nothing changes);
  // NOT_FOUND for an unknown product. UpdateProduct's stock field means the same.
  virtual absl::StatusOr<VersionedProduct> SetStock(const std::string& product_id,
                                                    int64_t on_hand) = 0;
};

using CatalogStorePtr = std::unique_ptr<CatalogStore>;

}  // namespace mercato::catalog
