#include "checkout/order_lifecycle_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/limits.h"
#include "common/status.h"

namespace mercato::checkout {
namespace {

struct StatusNameEntry {
  v1::OrderStatus status;
  std::string_view name;
};

constexpr StatusNameEntry kStatusNames[] = {
    {v1::ORDER_STATUS_PENDING, "pending"},
    {v1::ORDER_STATUS_PAID, "paid"},
    {v1::ORDER_STATUS_FAILED, "failed"},
    {v1::ORDER_STATUS_FULFILLING, "fulfilling"},
    {v1::ORDER_STATUS_SHIPPED, "shipped"},
    {v1::ORDER_STATUS_DELIVERED, "delivered"},
    {v1::ORDER_STATUS_CANCELLING, "cancelling"},
    {v1::ORDER_STATUS_CANCELLED, "cancelled"},
    {v1::ORDER_STATUS_REFUNDED, "refunded"},
    {v1::ORDER_STATUS_PARTIALLY_REFUNDED, "partially_refunded"},
};

constexpr std::string_view kStageNames[] = {"none", "fulfilling", "shipped", "delivered"};
constexpr std::string_view kCancelStepNames[] = {"", "requested", "refunded", "returned"};

absl::Status Precondition(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, code, message);
}

absl::Status InvalidRefund(absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_refund", message);
}

absl::Status ExceedsCapture() {
  return Precondition("refund_exceeds_capture",
                      "the refund exceeds what was captured and not yet refunded");
}

bool IsPrintableKey(const std::string& key) {
  return !key.empty() && key.size() <= kMaxIdempotencyKeyLength &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

// The lines of a line refund, priced at the unit price paid.
absl::StatusOr<RefundPlan> PlanLines(const OrderRecord& order,
                                     const v1::RefundOrderRequest& request,
                                     const std::map<std::string, int>& refunded_units) {
  RefundPlan plan;
  for (const v1::RefundLine& line : request.lines()) {
    const auto& items = order.order.items();
    auto item = std::find_if(items.begin(), items.end(), [&](const v1::OrderItem& i) {
      return i.product_id() == line.product_id();
    });
    if (item == items.end()) {
      return InvalidRefund(absl::StrCat("the order has no line for product '",
                                        line.product_id().substr(0, 64), "'"));
    }
    auto done = refunded_units.find(line.product_id());
    const int already = done == refunded_units.end() ? 0 : done->second;
    if (line.quantity() > item->quantity() - already) return ExceedsCapture();
    const int64_t amount = item->unit_price().amount() * line.quantity();
    plan.lines.push_back({line.product_id(), line.quantity(), amount});
    plan.amount += amount;
  }
  return plan;
}

}  // namespace

std::string_view OrderStatusName(v1::OrderStatus status) {
  for (const auto& e : kStatusNames) {
    if (e.status == status) return e.name;
  }
  return "pending";
}

std::optional<v1::OrderStatus> OrderStatusFromName(std::string_view name) {
  for (const auto& e : kStatusNames) {
    if (e.name == name) return e.status;
  }
  return std::nullopt;
}

std::string_view StageName(FulfillmentStage stage) { return kStageNames[static_cast<int>(stage)]; }

std::optional<FulfillmentStage> StageFromName(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kStageNames[i] == name) return static_cast<FulfillmentStage>(i);
  }
  return std::nullopt;
}

std::string_view CancelStepName(CancelStep step) {
  return kCancelStepNames[static_cast<int>(step)];
}

std::optional<CancelStep> CancelStepFromName(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kCancelStepNames[i] == name) return static_cast<CancelStep>(i);
  }
  return std::nullopt;
}

bool Cancellable(const OrderRecord& order) {
  const v1::OrderStatus s = order.order.status();
  const bool status_allows = s == v1::ORDER_STATUS_PAID || s == v1::ORDER_STATUS_FULFILLING ||
                             s == v1::ORDER_STATUS_PARTIALLY_REFUNDED;
  return status_allows && order.stage <= FulfillmentStage::kFulfilling;
}

bool CancelAccepted(const OrderRecord& order) {
  return order.order.status() == v1::ORDER_STATUS_CANCELLING ||
         order.order.status() == v1::ORDER_STATUS_CANCELLED;
}

absl::Status NotCancellable() {
  return Precondition("order_not_cancellable",
                      "the order can no longer be cancelled (not paid, shipped, refunded or "
                      "failed)");
}

bool Refundable(const OrderRecord& order) {
  switch (order.order.status()) {
    case v1::ORDER_STATUS_PAID:
    case v1::ORDER_STATUS_FULFILLING:
    case v1::ORDER_STATUS_SHIPPED:
    case v1::ORDER_STATUS_DELIVERED:
    case v1::ORDER_STATUS_PARTIALLY_REFUNDED:
      return true;
    default:
      return false;
  }
}

absl::Status ValidateRefundRequest(const v1::RefundOrderRequest& request) {
  if (!IsPrintableKey(request.idempotency_key())) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_idempotency_key",
                         absl::StrCat("idempotency_key must be 1 to ", kMaxIdempotencyKeyLength,
                                      " printable ASCII characters"));
  }
  if (request.reason().size() > kMaxRefundReasonLength) {
    return InvalidRefund("reason must be at most 500 characters");
  }
  if (request.lines_size() > 0 && request.has_amount()) {
    return InvalidRefund("give lines or amount, not both");
  }
  if (request.has_amount() && request.amount().amount() <= 0) {
    return InvalidRefund("amount must be positive");
  }
  std::set<std::string> products;
  for (const v1::RefundLine& line : request.lines()) {
    if (line.product_id().empty() || line.quantity() <= 0) {
      return InvalidRefund("every line needs a product_id and a positive quantity");
    }
    if (!products.insert(line.product_id()).second) {
      return InvalidRefund("a product appears twice in lines");
    }
  }
  return absl::OkStatus();
}

std::string RefundFingerprint(const v1::RefundOrderRequest& request) {
  if (request.has_amount()) {
    return absl::StrCat("amount:", request.amount().amount(), request.amount().currency());
  }
  if (request.lines_size() == 0) return "all";
  std::vector<std::string> lines;
  for (const v1::RefundLine& line : request.lines()) {
    lines.push_back(absl::StrCat(line.product_id(), "x", line.quantity()));
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrCat("lines:", absl::StrJoin(lines, ","));
}

absl::StatusOr<RefundPlan> PlanRefund(const OrderRecord& order,
                                      const v1::RefundOrderRequest& request,
                                      const std::map<std::string, int>& refunded_units) {
  if (!Refundable(order)) {
    return Precondition("order_not_refundable", "the order cannot be refunded in its status");
  }
  const int64_t remaining = order.order.total().amount() - order.refund_reserved;
  RefundPlan plan;
  if (request.lines_size() > 0) {
    auto lines = PlanLines(order, request, refunded_units);
    if (!lines.ok()) return lines.status();
    plan = *std::move(lines);
  } else if (request.has_amount()) {
    if (request.amount().currency() != order.order.total().currency()) {
      return InvalidRefund("amount must be in the order's currency");
    }
    plan.amount = request.amount().amount();
  } else {
    plan.amount = remaining;
  }
  if (plan.amount <= 0 || plan.amount > remaining) return ExceedsCapture();
  plan.fingerprint = RefundFingerprint(request);
  return plan;
}

v1::OrderStatus StatusAfterRefund(const OrderRecord& order, int64_t refunded) {
  if (CancelAccepted(order)) return order.order.status();
  return refunded >= order.order.total().amount() ? v1::ORDER_STATUS_REFUNDED
                                                  : v1::ORDER_STATUS_PARTIALLY_REFUNDED;
}

absl::Status ValidateFulfillmentRequest(const v1::RecordFulfillmentRequest& request) {
  auto invalid = [](absl::string_view message) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_argument", message);
  };
  if (request.order_id().empty()) return invalid("order_id is required");
  if (request.stage() < v1::FULFILLMENT_STAGE_FULFILLING ||
      request.stage() > v1::FULFILLMENT_STAGE_DELIVERED) {
    return invalid("stage must be FULFILLING, SHIPPED or DELIVERED");
  }
  if (request.carrier().size() > kMaxShipmentFieldLength ||
      request.tracking_number().size() > kMaxShipmentFieldLength) {
    return invalid("carrier and tracking_number are at most 64 characters");
  }
  if (request.stage() == v1::FULFILLMENT_STAGE_SHIPPED &&
      (request.carrier().empty() || request.tracking_number().empty())) {
    return invalid("SHIPPED needs carrier and tracking_number");
  }
  return absl::OkStatus();
}

absl::StatusOr<FulfillmentMove> DecideFulfillment(const OrderRecord& order,
                                                  v1::FulfillmentStage requested) {
  const v1::OrderStatus status = order.order.status();
  if (status == v1::ORDER_STATUS_PENDING || status == v1::ORDER_STATUS_FAILED) {
    return Precondition("order_not_paid", "the order is not paid");
  }
  const auto stage = static_cast<FulfillmentStage>(static_cast<int>(requested));
  if (stage != FulfillmentStage::kDelivered) {
    if (CancelAccepted(order)) return Precondition("order_cancelled", "the order was cancelled");
    if (status == v1::ORDER_STATUS_REFUNDED) {
      return Precondition("order_refunded", "the order was refunded");
    }
  }
  FulfillmentMove move{.stage = stage, .status = status};
  if (stage == order.stage) {
    move.unchanged = true;
    return move;
  }
  if (static_cast<int>(stage) != static_cast<int>(order.stage) + 1) {
    return Precondition(
        "invalid_stage",
        absl::StrCat("the order's shipment is ", std::string(StageName(order.stage)),
                     " and cannot become ", std::string(StageName(stage))));
  }
  static constexpr v1::OrderStatus kStageStatus[] = {
      v1::ORDER_STATUS_PAID, v1::ORDER_STATUS_FULFILLING, v1::ORDER_STATUS_SHIPPED,
      v1::ORDER_STATUS_DELIVERED};
  move.timeline_status = kStageStatus[static_cast<int>(stage)];
  // The status follows the shipment while nothing else (a refund) took it over.
  if (status == v1::ORDER_STATUS_PAID || status == v1::ORDER_STATUS_FULFILLING ||
      status == v1::ORDER_STATUS_SHIPPED) {
    move.status = move.timeline_status;
  }
  return move;
}

}  // namespace mercato::checkout
