// The catalog's inventory: stock reservations for checkout (ReserveStock, CommitReservation,
// ReleaseReservation, ReturnStock), validated here and kept by an InventoryStore (PostgreSQL:
// postgres_inventory_store.h); held reservations nobody ends are expired by
// ReservationExpirySweeper; the outcomes are counted in InventoryMetrics. CatalogService
// hands the RPCs to it. After a change commits, the products it touched are refreshed in this
// process's cache before the call returns (read your writes).
//
// The inventory contract (what checkout relies on):
//   States: held -> committed (the stock is sold) -> returned (final: a cancelled order's
//   goods, never shipped, are back on hand) or held -> released / expired (final: the stock
//   is back). Reserved units count as held at once (products.reserved), so
//   Product.stock (on_hand - reserved) is what can still be bought; an admin's SetStock sets
//   on_hand and never hands held units out a second time.
//   ReserveStock(id, items, ttl): all items or none, in one transaction. Idempotent per id: a
//   repeat with the same items (after merging duplicate product ids) returns the stored
//   reservation unchanged, whatever its ttl, held or committed. Errors, all with an
//   ErrorInfo code: INVALID_ARGUMENT invalid_reservation_id / invalid_items /
//   invalid_quantity / invalid_ttl; NOT_FOUND product_not_found; FAILED_PRECONDITION
//   out_of_stock (message "not enough stock for product <id>: <n> requested, <m> available"),
//   reservation_mismatch (the id exists with other items), reservation_closed (the id was
//   released or expired). ttl_seconds 0 means the default (MERCATO_RESERVATION_TTL_S);
//   above MERCATO_RESERVATION_MAX_TTL_S is invalid_ttl.
//   CommitReservation(id): held -> committed; committed again: OK, unchanged; released /
//   expired: FAILED_PRECONDITION reservation_closed; unknown: NOT_FOUND
//   reservation_not_found. A held reservation past expires_at that the sweeper has not yet
//   expired is still committed: expiry is decided by the sweeper, not by the clock alone.
//   ReleaseReservation(id): held -> released, stock returned; released / expired: OK,
//   unchanged; committed: FAILED_PRECONDITION reservation_committed; unknown: recorded as
//   released without items, so that a ReserveStock arriving later is reservation_closed.
//   ReturnStock(id): committed -> returned, each item's quantity back on hand (StockChanged
//   per product) in one transaction; returned again: OK, unchanged; held / released /
//   expired: FAILED_PRECONDITION reservation_not_committed; unknown: NOT_FOUND
//   reservation_not_found. A returned id is final: ReserveStock and CommitReservation are
//   reservation_closed, ReleaseReservation reservation_committed.
//   UNAVAILABLE / DEADLINE_EXCEEDED / ABORTED may be retried with the same id.
#pragma once

#include <prometheus/registry.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/cache_refresher.h"
#include "catalog/inventory_metrics.h"
#include "catalog/inventory_store.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog {

// Limits of the inventory API.
inline constexpr int kMaxReservationLines = 1000;
inline constexpr int kMaxReservationQuantity = 1000000;
inline constexpr size_t kMaxReservationIdLength = 128;

struct InventoryOptions {
  // ReserveStock's hold time when the request's ttl_seconds is 0, and the most it may ask.
  std::chrono::seconds default_ttl{900};
  std::chrono::seconds max_ttl{3600};
};

// Validates ReserveStock's lines: 1..1000 lines, quantities 1..1000000 (INVALID_ARGUMENT,
// codes "invalid_items" / "invalid_quantity"), product ids that are UUIDs (else NOT_FOUND
// "product_not_found"). Returns them merged per product (quantities added), ids lower-case,
// sorted by id: the order stock rows are locked in.
absl::StatusOr<std::vector<v1::ReservationItem>> NormalizeReservationItems(
    const google::protobuf::RepeatedPtrField<v1::ReservationItem>& items);
// 1..128 characters of [A-Za-z0-9._:-]; else INVALID_ARGUMENT "invalid_reservation_id".
absl::Status ValidateReservationId(const std::string& id);

class InventoryService {
 public:
  InventoryService(InventoryStore& store, CacheRefresher& refresher, InventoryOptions options,
                   prometheus::Registry& metrics_registry);

  absl::Status DoReserveStock(const v1::ReserveStockRequest& request, v1::Reservation* response);
  absl::Status DoCommitReservation(const v1::CommitReservationRequest& request,
                                   v1::Reservation* response);
  absl::Status DoReleaseReservation(const v1::ReleaseReservationRequest& request,
                                    v1::Reservation* response);
  absl::Status DoReturnStock(const v1::ReturnStockRequest& request, v1::Reservation* response);

 private:
  // Reloads the reservation's products into the cache (RefreshAfterWrite, cache_refresher.h).
  void RefreshAfterWrite(const v1::Reservation& reservation);

  InventoryStore& store_;
  CacheRefresher& refresher_;
  const InventoryOptions options_;
  InventoryMetrics metrics_;
};

}  // namespace mercato::catalog
