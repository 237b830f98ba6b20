// Storage behind the checkout service: orders, their items and their status history.
// PostgresCheckoutStore is the real one; unit tests use an in-memory fake
// (tests/unit/checkout_fake_store.h).
//
// The guarantees the saga rests on:
//   - CreateOrder: at most one order per (user, idempotency key), whatever runs concurrently;
//     a second call gets the first order back. At most one order that has not failed per
//     (user, cart revision): a cart's contents are ordered once (issue 15, defect 12).
//   - Leases: a pending order is owned by whoever holds its lease (a random token per request
//     or recovery pass). Advance() changes an order only for the holder, renewing the lease,
//     so a request that stalled past its lease cannot overwrite what recovery decided
//     (fencing). ClaimStalled() hands pending orders whose lease ran out to a new owner,
//     skipping rows another transaction holds, so replicas and in-flight requests never
//     drive one order at once.
//   - Steps only move forward and terminal orders never change (enforced by the database).
//   - Every step change is recorded in the order's history in the same transaction.
//   - The order's events (order_events.h: OrderPlaced, OrderPaid, OrderFailed) are appended to
//     the outbox (libs/events) in the transaction of the change they announce, so that an
//     order is published if and only if its change committed.
//
// Nothing here ever sees a card number or CVC: only the brand and last four digits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::checkout {

// The saga's steps, in order. An order is PENDING until it reaches kPaid or kFailed.
//   kPriced      the order is recorded with its items and totals; no side effect yet
//   kReserved    the catalog holds its stock (reservation id = order id)
//   kAuthorized  the card is authorized (payment_id known)
//   kCaptured    the payment is captured
//   kPaid        the reservation is committed: terminal, status PAID
//   kFailed      stock released, any payment voided or refunded: terminal, status FAILED
enum class OrderStep { kPriced, kReserved, kAuthorized, kCaptured, kPaid, kFailed };

// How far the shipment got (RecordFulfillment), apart from the status: a partially refunded
// order still ships.
enum class FulfillmentStage { kNone, kFulfilling, kShipped, kDelivered };
// A cancellation's progress (CancelOrder, order_lifecycle.h): kRequested (CANCELLING
// recorded) -> kRefunded (payment refunded) -> kReturned (stock back); then CANCELLED.
enum class CancelStep { kNone, kRequested, kRefunded, kReturned };

std::string_view StepName(OrderStep step);
std::optional<OrderStep> StepFromName(std::string_view name);
v1::OrderStatus StatusOfStep(OrderStep step);
bool IsTerminal(OrderStep step);

// A stored order: the API view plus what only the service needs.
struct OrderRecord {
  // id, user_id, status, items, totals, shipping address, created_at, failure_code,
  // payment_id, card brand and last four. history is filled by GetOrder and
  // RecordFulfillment only.
  v1::Order order;
  std::string idempotency_key;
  // The gateway's hash of the request body (PlaceOrderRequest.request_fingerprint).
  std::string request_fingerprint;
  // The revision of the cart the order was priced from (cart.v1.Cart.revision); "" for an
  // order refused before pricing, or a cart service that sends none.
  std::string cart_revision;
  OrderStep step = OrderStep::kPriced;
  // For a failed order, what a repeat of the request gets again: the status code and message
  // of the first answer (order.failure_code is its error code).
  absl::StatusCode failure_status = absl::StatusCode::kOk;
  std::string failure_message;
  // When the last step was recorded.
  absl::Time updated_at = absl::UnixEpoch();
  // Keyset position in the owner's order list (newest first).
  int64_t seq = 0;
  // After payment (order.status holds the lifecycle status, order.refunded the completed
  // refunds, order.cancellable and order.timeline are filled when read):
  FulfillmentStage stage = FulfillmentStage::kNone;
  // The refunds started and not failed (completed or in flight): never above the total.
  int64_t refund_reserved = 0;
  CancelStep cancel_step = CancelStep::kNone;
  // What the cancellation refunds (set when it starts).
  int64_t cancel_amount = 0;
};

// One admin refund of an order (RefundOrder), as stored.
struct RefundRecord {
  std::string order_id;
  std::string idempotency_key;
  // The request in canonical form (RefundPlan::fingerprint).
  std::string fingerprint;
  int64_t amount = 0;
  std::string currency;
  // "pending" (reserved, the payment service not yet known to have refunded it),
  // "completed", "failed" (failure_code says why; its reservation was given back).
  std::string state;
  std::string failure_code;
  // The order's payment.
  std::string payment_id;
};

struct RefundStart {
  RefundRecord refund;
  // False when the key already had a refund: that one is returned as stored.
  bool created = false;
};

struct CreateOrderResult {
  OrderRecord record;
  // False when (user, idempotency key) already had an order: that one is returned as stored.
  bool created = false;
  // Set when nothing was created because another order of this user that has not failed
  // holds the same cart revision: that order's step (pending or paid). `record` is empty.
  std::optional<OrderStep> cart_ordered_at;
};

// What Advance() records.
struct StepUpdate {
  OrderStep step = OrderStep::kReserved;
  // Free text for the history ("reservation committed", "payment voided; stock released").
  std::string detail;
  // Set when known (kept otherwise).
  std::string payment_id;
  std::string card_brand;
  std::string card_last4;
  // For kFailed.
  std::string failure_code;
  absl::StatusCode failure_status = absl::StatusCode::kOk;
  std::string failure_message;
};

class CheckoutStore {
 public:
  virtual ~CheckoutStore() = default;

  // Inserts `order` (step kPriced with its items, or kFailed for an outcome known at once,
  // e.g. an empty cart) owned by `lease_owner` for `lease`, unless its user already has an
  // order with its idempotency key: then that order is returned with created = false; or,
  // for a priced order with a cart_revision, unless another order of the user that has not
  // failed has that revision: then cart_ordered_at is its step. Calls for one user are
  // serialised, so of concurrent orders of one revision exactly one is created.
  // Fills order.created_at / seq / updated_at of the record returned.
  virtual absl::StatusOr<CreateOrderResult> CreateOrder(const OrderRecord& order,
                                                        const std::string& lease_owner,
                                                        absl::Duration lease) = 0;

  // The order of (user, idempotency key), with items; nullopt when there is none.
  virtual absl::StatusOr<std::optional<OrderRecord>> FindByIdempotencyKey(
      const std::string& user_id, const std::string& idempotency_key) = 0;

  // Records that pending `order` reached update.step, if `lease_owner` still holds its lease;
  // renews the lease by `lease` (a terminal step gives it up). Applies the update to `order`.
  // FAILED_PRECONDITION "lease_lost" when the order is not pending or held by someone else.
  virtual absl::Status Advance(OrderRecord& order, const std::string& lease_owner,
                               const StepUpdate& update, absl::Duration lease) = 0;

  // Ends `lease_owner`'s lease of a pending order now, so that recovery takes it on its next
  // pass. A no-op when the lease is not held by lease_owner.
  virtual absl::Status ReleaseLease(const std::string& order_id,
                                    const std::string& lease_owner) = 0;

  // Takes up to `limit` pending orders whose lease ran out, oldest lease first, and gives
  // them to `lease_owner` for `lease`. Rows locked by another transaction are skipped.
  // Records come without items.
  virtual absl::StatusOr<std::vector<OrderRecord>> ClaimStalled(const std::string& lease_owner,
                                                                absl::Duration lease,
                                                                int limit) = 0;

  // One order with items and history; NOT_FOUND "order_not_found" when there is none.
  virtual absl::StatusOr<OrderRecord> GetOrder(const std::string& id) = 0;

  // The user's orders that have items (an order refused before pricing, e.g. for an empty
  // cart, is not listed), newest first, with items; only those with seq < before_seq when
  // before_seq > 0.
  virtual absl::StatusOr<std::vector<OrderRecord>> ListOrders(const std::string& user_id, int limit,
                                                              int64_t before_seq) = 0;

  // --- after payment (order_lifecycle.h; the rules are order_lifecycle_rules.h's, applied
  // under the order's row lock, so that concurrent calls see each other's outcome) ---

  // Accepts a cancellation: a cancellable order becomes CANCELLING (timeline entry),
  // cancel_amount = what was captured and not yet reserved by a refund (reserved now), driven
  // by the caller for `lease`. A CANCELLING or CANCELLED order is returned as it is.
  // FAILED_PRECONDITION "order_not_cancellable" otherwise; NOT_FOUND "order_not_found".
  virtual absl::StatusOr<OrderRecord> BeginCancel(const std::string& order_id,
                                                  absl::Duration lease) = 0;
  // Records that a CANCELLING order's cancellation reached `step` (only forward; a step
  // already reached is a no-op).
  virtual absl::Status AdvanceCancel(const std::string& order_id, CancelStep step) = 0;
  // CANCELLING -> CANCELLED: refunded += cancel_amount, a timeline entry and OrderCancelled in
  // the outbox, once; a CANCELLED order is returned as it is.
  virtual absl::StatusOr<OrderRecord> FinishCancel(const std::string& order_id) = 0;
  // Up to `limit` CANCELLING orders whose lease ran out, leased again for `lease` (rows
  // locked elsewhere skipped).
  virtual absl::StatusOr<std::vector<OrderRecord>> ClaimStalledCancels(absl::Duration lease,
                                                                       int limit) = 0;

  // Starts an admin refund (validated by ValidateRefundRequest): the refund of (order, key)
  // if there is one (created = false); else, under the order's row lock, plans it
  // (PlanRefund: FAILED_PRECONDITION "order_not_refundable" / "refund_exceeds_capture",
  // INVALID_ARGUMENT "invalid_refund"; nothing recorded) and records it pending, its amount
  // (and lines) reserved, driven by the caller for `lease`.
  virtual absl::StatusOr<RefundStart> BeginRefund(const v1::RefundOrderRequest& request,
                                                  absl::Duration lease) = 0;
  // pending -> completed: the order's refunded sum, its status (PARTIALLY_REFUNDED /
  // REFUNDED unless a cancellation owns it), a timeline entry and OrderRefunded, once.
  // Returns the order.
  virtual absl::StatusOr<OrderRecord> CompleteRefund(const std::string& order_id,
                                                     const std::string& idempotency_key) = 0;
  // pending -> failed with `failure_code`: its reservation (amount, lines) given back.
  virtual absl::Status FailRefund(const std::string& order_id, const std::string& idempotency_key,
                                  const std::string& failure_code) = 0;
  // Up to `limit` pending refunds whose lease ran out, leased again for `lease`.
  virtual absl::StatusOr<std::vector<RefundRecord>> ClaimStalledRefunds(absl::Duration lease,
                                                                        int limit) = 0;

  // Records a fulfillment stage under the order's row lock (DecideFulfillment): the stage,
  // the status when it follows the stage, a timeline entry; a repeat changes nothing.
  // Returns the order as GetOrder does (items, timeline, history), read in the same
  // transaction.
  virtual absl::StatusOr<OrderRecord> RecordFulfillment(
      const v1::RecordFulfillmentRequest& request) = 0;
};

using CheckoutStorePtr = std::unique_ptr<CheckoutStore>;

// Advance's refusal when the lease is gone (FAILED_PRECONDITION "lease_lost"): the one place
// that reads the code, so that callers test a type, not a string.
bool IsLeaseLost(const absl::Status& status);

}  // namespace mercato::checkout
