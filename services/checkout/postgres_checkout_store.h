// CheckoutStore on PostgreSQL (schema in migrations/).
//
// CreateOrder takes a per-user advisory lock, then in one statement looks for the user's order
// with the key (or one holding the cart revision), then inserts the order, its items and its
// first history row in one statement, and its OrderPlaced event: of concurrent requests of
// one user, the later ones wait for the first to commit and then read its order back.
// Advance is one statement: a conditional UPDATE ... WHERE lease_owner = <token> AND status =
// 'pending' (the fencing check) plus its history row; an intermediate step (no event) is
// committed on its own without waiting for the disk, a terminal one in a transaction with
// its event. A trigger refuses steps that move backwards or change a terminal order.
// FindByIdempotencyKey reads without a transaction (an order's row and its items are each
// read by one statement; items never change). ClaimStalled picks expired leases
// with FOR UPDATE SKIP LOCKED and re-leases them in the same statement.
//
// The lifecycle after payment (cancel, refunds, fulfillment) reads the order FOR UPDATE and
// applies order_lifecycle_rules.h to what it read, so that concurrent calls on one order are
// serialised: of a cancel and a SHIPPED only one is recorded, and concurrent refunds are
// checked one after another against refund_reserved (backed by CHECK constraints and the
// lifecycle trigger of migration 006).
#pragma once

#include <vector>

#include "checkout/checkout_store.h"
#include "common/embedded_file.h"
#include "db/pg_pool.h"

namespace mercato::checkout {

// The schema (migrations/*.sql, compiled in), for mercato::ApplyMigrations().
const std::vector<EmbeddedFile>& Migrations();

class PostgresCheckoutStore final : public CheckoutStore {
 public:
  explicit PostgresCheckoutStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<CreateOrderResult> CreateOrder(const OrderRecord& order,
                                                const std::string& lease_owner,
                                                absl::Duration lease) override;
  absl::StatusOr<std::optional<OrderRecord>> FindByIdempotencyKey(
      const std::string& user_id, const std::string& idempotency_key) override;
  absl::Status Advance(OrderRecord& order, const std::string& lease_owner, const StepUpdate& update,
                       absl::Duration lease) override;
  absl::Status ReleaseLease(const std::string& order_id, const std::string& lease_owner) override;
  absl::StatusOr<std::vector<OrderRecord>> ClaimStalled(const std::string& lease_owner,
                                                        absl::Duration lease, int limit) override;
  absl::StatusOr<OrderRecord> GetOrder(const std::string& id) override;
  absl::StatusOr<std::vector<OrderRecord>> ListOrders(const std::string& user_id, int limit,
                                                      int64_t before_seq) override;

  absl::StatusOr<OrderRecord> BeginCancel(const std::string& order_id,
                                          absl::Duration lease) override;
  absl::Status AdvanceCancel(const std::string& order_id, CancelStep step) override;
  absl::StatusOr<OrderRecord> FinishCancel(const std::string& order_id) override;
  absl::StatusOr<std::vector<OrderRecord>> ClaimStalledCancels(absl::Duration lease,
                                                               int limit) override;
  absl::StatusOr<RefundStart> BeginRefund(const v1::RefundOrderRequest& request,
                                          absl::Duration lease) override;
  absl::StatusOr<OrderRecord> CompleteRefund(const std::string& order_id,
                                             const std::string& idempotency_key) override;
  absl::Status FailRefund(const std::string& order_id, const std::string& idempotency_key,
                          const std::string& failure_code) override;
  absl::StatusOr<std::vector<RefundRecord>> ClaimStalledRefunds(absl::Duration lease,
                                                                int limit) override;
  absl::StatusOr<OrderRecord> RecordFulfillment(
      const v1::RecordFulfillmentRequest& request) override;

 private:
  PgPool& pool_;
};

}  // namespace mercato::checkout
