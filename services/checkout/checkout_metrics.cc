#include "checkout/checkout_metrics.h"

#include <algorithm>
#include <array>

namespace mercato::checkout {
namespace {

// Every outcome an order can end with; other codes are counted as "other".
constexpr std::array<const char*, 16> kOutcomes = {"paid",
                                                   "cart_empty",
                                                   "product_unavailable",
                                                   "mixed_currency",
                                                   "out_of_stock",
                                                   "payment_declined",
                                                   "insufficient_funds",
                                                   "invalid_card",
                                                   "card_expired",
                                                   "invalid_amount",
                                                   "order_too_large",
                                                   "checkout_interrupted",
                                                   "reservation_expired",
                                                   "invalid_quantity",
                                                   "invalid_argument",
                                                   "other"};

std::string OutcomeLabel(const std::string& code) {
  auto it =
      std::find_if(kOutcomes.begin(), kOutcomes.end(), [&](const char* o) { return code == o; });
  return it == kOutcomes.end() ? "other" : code;
}

const char* ActionLabel(Compensation action) {
  switch (action) {
    case Compensation::kReleaseStock:
      return "release_stock";
    case Compensation::kVoidPayment:
      return "void_payment";
    case Compensation::kRefundPayment:
      return "refund_payment";
  }
  return "release_stock";
}

}  // namespace

CheckoutMetrics::CheckoutMetrics(prometheus::Registry& registry)
    : orders_(prometheus::BuildCounter()
                  .Name("mercato_checkout_orders_total")
                  .Help("Orders that reached a terminal state, by outcome (paid or failure code)")
                  .Register(registry)),
      revenue_(prometheus::BuildCounter()
                   .Name("mercato_checkout_revenue_minor_units_total")
                   .Help("Sum of the totals of paid orders, in minor units, by currency")
                   .Register(registry)),
      compensations_(prometheus::BuildCounter()
                         .Name("mercato_checkout_saga_compensations_total")
                         .Help("Compensating actions the order saga took, by action")
                         .Register(registry)),
      recovered_(prometheus::BuildCounter()
                     .Name("mercato_checkout_recovered_orders_total")
                     .Help("Unfinished orders recovery drove to a terminal state, by outcome")
                     .Register(registry)) {
  for (const char* o : kOutcomes) orders_.Add({{"outcome", o}});
  for (auto a :
       {Compensation::kReleaseStock, Compensation::kVoidPayment, Compensation::kRefundPayment}) {
    compensations_.Add({{"action", ActionLabel(a)}});
  }
  recovered_.Add({{"outcome", "paid"}});
  recovered_.Add({{"outcome", "failed"}});
}

void CheckoutMetrics::CountPaid(int64_t total, const std::string& currency, bool recovered) {
  orders_.Add({{"outcome", "paid"}}).Increment();
  if (total > 0) revenue_.Add({{"currency", currency}}).Increment(static_cast<double>(total));
  if (recovered) recovered_.Add({{"outcome", "paid"}}).Increment();
}

void CheckoutMetrics::CountFailed(const std::string& failure_code, bool recovered) {
  orders_.Add({{"outcome", OutcomeLabel(failure_code)}}).Increment();
  if (recovered) recovered_.Add({{"outcome", "failed"}}).Increment();
}

void CheckoutMetrics::CountCompensation(Compensation action) {
  compensations_.Add({{"action", ActionLabel(action)}}).Increment();
}

}  // namespace mercato::checkout
