// The rules of an order's life after payment (docs/orders.md), apart from the store that
// applies them under the order's row lock and the driver that calls the other services
// (order_lifecycle.h). Pure functions; no I/O.
//
//   if (Cancellable(record)) ...                      // what Order.cancellable says
//   auto plan = PlanRefund(record, request, lines);   // amount, lines, fingerprint
//   auto move = DecideFulfillment(record, request);   // new stage and status, or a refusal
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "checkout/checkout_store.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::checkout {

inline constexpr size_t kMaxRefundReasonLength = 500;
inline constexpr size_t kMaxShipmentFieldLength = 64;

// The database's names ("paid", "partially_refunded", ...; "none", "fulfilling", ...; "",
// "requested", ...).
std::string_view OrderStatusName(v1::OrderStatus status);
std::optional<v1::OrderStatus> OrderStatusFromName(std::string_view name);
std::string_view StageName(FulfillmentStage stage);
std::optional<FulfillmentStage> StageFromName(std::string_view name);
std::string_view CancelStepName(CancelStep step);
std::optional<CancelStep> CancelStepFromName(std::string_view name);

// CancelOrder is accepted now: PAID, FULFILLING or PARTIALLY_REFUNDED, nothing shipped.
bool Cancellable(const OrderRecord& order);
// A cancellation was accepted (CANCELLING or CANCELLED).
bool CancelAccepted(const OrderRecord& order);
// FAILED_PRECONDITION "order_not_cancellable".
absl::Status NotCancellable();

// RefundOrder is accepted now: PAID, FULFILLING, SHIPPED, DELIVERED or PARTIALLY_REFUNDED.
bool Refundable(const OrderRecord& order);

// The shape of a RefundOrderRequest, before the order is read: INVALID_ARGUMENT
// "invalid_idempotency_key" (1..255 printable ASCII) or "invalid_refund" (lines and amount
// both set, a quantity <= 0, a product twice, an amount <= 0, a reason over 500 characters).
absl::Status ValidateRefundRequest(const v1::RefundOrderRequest& request);

struct RefundLinePlan {
  std::string product_id;
  int32_t quantity = 0;
  int64_t amount = 0;
};
struct RefundPlan {
  int64_t amount = 0;
  std::vector<RefundLinePlan> lines;
  // The request in canonical form: "all", "amount:<minor units>" or
  // "lines:<product>x<quantity>,..." (sorted), compared on repeats of the key.
  std::string fingerprint;
};

// The request's fingerprint (see RefundPlan).
std::string RefundFingerprint(const v1::RefundOrderRequest& request);

// What `request` refunds of `order` (with items; refund_reserved as locked), given the units
// already refunded per product (`refunded_units`): FAILED_PRECONDITION
// "order_not_refundable" / "refund_exceeds_capture" (more than captured and not yet refunded,
// or more units of a line than ordered and not yet refunded), INVALID_ARGUMENT
// "invalid_refund" (a product not in the order, an amount in another currency).
absl::StatusOr<RefundPlan> PlanRefund(const OrderRecord& order,
                                      const v1::RefundOrderRequest& request,
                                      const std::map<std::string, int>& refunded_units);

// The status of `order` once its completed refunds reach `refunded`: PARTIALLY_REFUNDED or
// REFUNDED; a cancellation's status is kept (it owns the order).
v1::OrderStatus StatusAfterRefund(const OrderRecord& order, int64_t refunded);

// The shape of a RecordFulfillmentRequest: INVALID_ARGUMENT "invalid_argument" (an id that is
// empty, no stage, SHIPPED without carrier or tracking number or with one over 64
// characters).
absl::Status ValidateFulfillmentRequest(const v1::RecordFulfillmentRequest& request);

struct FulfillmentMove {
  // The stage is already recorded: nothing changes.
  bool unchanged = false;
  FulfillmentStage stage = FulfillmentStage::kNone;
  v1::OrderStatus status = v1::ORDER_STATUS_UNSPECIFIED;
  // The timeline entry's status (the stage's).
  v1::OrderStatus timeline_status = v1::ORDER_STATUS_UNSPECIFIED;
};

// What recording `requested` does to `order` (checkout.proto, RecordFulfillment):
// FAILED_PRECONDITION "order_not_paid" / "order_cancelled" / "order_refunded" /
// "invalid_stage".
absl::StatusOr<FulfillmentMove> DecideFulfillment(const OrderRecord& order,
                                                  v1::FulfillmentStage requested);

}  // namespace mercato::checkout
