// Storage behind the catalog service. PostgresCatalogStore is the real one; unit tests use
// fakes of this interface. Browsing is answered from ProductCache, which is filled from
// here; full-text search, inventory and admin writes run here.
#pragma once

#include <chrono>
#include <cstdint>
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

// A reservation after a call, and whether that call changed it (false for an idempotent
// repeat), so that metrics and cache refreshes count real changes only.
struct ReservationChange {
  v1::Reservation reservation;
  bool changed = false;
};

// What one sweep of expired reservations did.
struct ExpiredReservations {
  int reservations = 0;
  // Products whose stock came back (sorted, unique).
  std::vector<std::string> product_ids;
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

  // Inventory. `items` are validated by the caller: product ids are lower-case UUIDs, unique
  // and sorted (the order rows are locked in), quantities are positive.
  //
  // A product has units on hand and units reserved; what can be bought (Product.stock) is
  // on_hand - reserved, never negative. Reserving adds to reserved, releasing and expiry
  // take it off again, committing takes the units off both (they are sold).
  //
  // Takes the stock of every item or of none, in one transaction. A new id is stored as
  // held until now + ttl. An existing id is returned unchanged when its items are the same
  // and it is held or committed; FAILED_PRECONDITION "reservation_closed" when it was
  // released or expired; FAILED_PRECONDITION "reservation_mismatch" for other items.
  // FAILED_PRECONDITION "out_of_stock" names the first product that is short;
  // NOT_FOUND "product_not_found" an unknown product.
  virtual absl::StatusOr<ReservationChange> ReserveStock(
      const std::string& reservation_id, const std::vector<v1::ReservationItem>& items,
      std::chrono::seconds ttl) = 0;
  // held -> committed (changed); committed: unchanged; released / expired:
  // FAILED_PRECONDITION "reservation_closed"; unknown: NOT_FOUND "reservation_not_found".
  // A held reservation past its expiry that no sweep has expired yet is committed.
  virtual absl::StatusOr<ReservationChange> CommitReservation(
      const std::string& reservation_id) = 0;
  // held -> released with its stock returned (changed); released / expired: unchanged;
  // committed: FAILED_PRECONDITION "reservation_committed"; unknown: recorded as released
  // without items (a tombstone, changed).
  virtual absl::StatusOr<ReservationChange> ReleaseReservation(
      const std::string& reservation_id) = 0;
  // Expires up to `limit` held reservations whose expiry has passed and returns their
  // stock. Rows another transaction holds are skipped, so replicas may sweep concurrently.
  virtual absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) = 0;

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
