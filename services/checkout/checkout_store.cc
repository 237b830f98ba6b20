#include "checkout/checkout_store.h"

#include "common/status.h"

namespace mercato::checkout {

std::string_view StepName(OrderStep step) {
  switch (step) {
    case OrderStep::kPriced:
      return "priced";
    case OrderStep::kReserved:
      return "reserved";
    case OrderStep::kAuthorized:
      return "authorized";
    case OrderStep::kCaptured:
      return "captured";
    case OrderStep::kPaid:
      return "paid";
    case OrderStep::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<OrderStep> StepFromName(std::string_view name) {
  for (OrderStep s : {OrderStep::kPriced, OrderStep::kReserved, OrderStep::kAuthorized,
                      OrderStep::kCaptured, OrderStep::kPaid, OrderStep::kFailed}) {
    if (StepName(s) == name) return s;
  }
  return std::nullopt;
}

v1::OrderStatus StatusOfStep(OrderStep step) {
  switch (step) {
    case OrderStep::kPaid:
      return v1::ORDER_STATUS_PAID;
    case OrderStep::kFailed:
      return v1::ORDER_STATUS_FAILED;
    default:
      return v1::ORDER_STATUS_PENDING;
  }
}

bool IsTerminal(OrderStep step) { return step == OrderStep::kPaid || step == OrderStep::kFailed; }

bool IsLeaseLost(const absl::Status& status) { return ExplicitErrorCodeOf(status) == "lease_lost"; }

}  // namespace mercato::checkout
