// Storage of the catalog's inventory: stock reservations (reserve, commit, release, expiry,
// return).
// PostgresInventoryStore is the real one (the catalog store hands its calls to it); unit tests
// use fakes of CatalogStore, which includes this interface.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog {

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

class InventoryStore {
 public:
  virtual ~InventoryStore() = default;

  // `items` are validated by the caller: product ids are lower-case UUIDs, unique
  // and sorted (the order rows are locked in), quantities are positive.
  //
  // A product has units on hand and units reserved; what can be bought (Product.stock) is
  // on_hand - reserved, never negative. Reserving adds to reserved, releasing and expiry
  // take it off again, committing takes the units off both (they are sold), returning puts
  // them back on hand (they were never shipped).
  //
  // Takes the stock of every item or of none, in one transaction. A new id is stored as
  // held until now + ttl. An existing id is returned unchanged when its items are the same
  // and it is held or committed; FAILED_PRECONDITION "reservation_closed" when it was
  // released, expired or returned; FAILED_PRECONDITION "reservation_mismatch" for other items.
  // FAILED_PRECONDITION "out_of_stock" names the first product that is short;
  // NOT_FOUND "product_not_found" an unknown product.
  virtual absl::StatusOr<ReservationChange> ReserveStock(
      const std::string& reservation_id, const std::vector<v1::ReservationItem>& items,
      std::chrono::seconds ttl) = 0;
  // held -> committed (changed); committed: unchanged; released / expired / returned:
  // FAILED_PRECONDITION "reservation_closed"; unknown: NOT_FOUND "reservation_not_found".
  // A held reservation past its expiry that no sweep has expired yet is committed.
  virtual absl::StatusOr<ReservationChange> CommitReservation(
      const std::string& reservation_id) = 0;
  // held -> released with its stock returned (changed); released / expired: unchanged;
  // committed / returned: FAILED_PRECONDITION "reservation_committed"; unknown: recorded as
  // released without items (a tombstone, changed).
  virtual absl::StatusOr<ReservationChange> ReleaseReservation(
      const std::string& reservation_id) = 0;
  // committed -> returned with each item's quantity put back on hand (sellable again:
  // StockChanged per product), changed; returned: unchanged; held / released / expired:
  // FAILED_PRECONDITION "reservation_not_committed"; unknown: NOT_FOUND
  // "reservation_not_found".
  virtual absl::StatusOr<ReservationChange> ReturnStock(const std::string& reservation_id) = 0;
  // Expires up to `limit` held reservations whose expiry has passed and returns their
  // stock. Rows another transaction holds are skipped, so replicas may sweep concurrently.
  virtual absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) = 0;
};

}  // namespace mercato::catalog
