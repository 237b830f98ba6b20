// InventoryStore on PostgreSQL (the reservations and reservation_items tables, and the
// on_hand / reserved columns of products; schema in migrations/).
//
// Inventory is PostgreSQL's job, not this process's: stock is taken by conditional updates
// (UPDATE ... SET stock = stock - q WHERE stock >= q) under row locks taken in product id
// order, so any number of catalog replicas can reserve concurrently without overselling or
// deadlocking, and products.stock's CHECK (stock >= 0) backs that up. Every change of a
// product's sellable stock appends its StockChanged event (product_events.h) to the outbox in
// the same transaction; low_stock is sellable <= low_stock_threshold.
#pragma once

#include <cstdint>

#include "catalog/inventory_store.h"
#include "db/pg_pool.h"

namespace mercato::catalog {

class PostgresInventoryStore final : public InventoryStore {
 public:
  PostgresInventoryStore(PgPool& pool, int64_t low_stock_threshold)
      : pool_(pool), low_stock_threshold_(low_stock_threshold) {}

  absl::StatusOr<ReservationChange> ReserveStock(const std::string& reservation_id,
                                                 const std::vector<v1::ReservationItem>& items,
                                                 std::chrono::seconds ttl) override;
  absl::StatusOr<ReservationChange> CommitReservation(const std::string& reservation_id) override;
  absl::StatusOr<ReservationChange> ReleaseReservation(const std::string& reservation_id) override;
  absl::StatusOr<ReservationChange> ReturnStock(const std::string& reservation_id) override;
  absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) override;

 private:
  PgPool& pool_;
  const int64_t low_stock_threshold_;
};

}  // namespace mercato::catalog
