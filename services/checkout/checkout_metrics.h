// Business metrics of the checkout service, registered on the process's Metrics registry:
//
//   mercato_checkout_orders_total{outcome}               orders that reached a terminal
//                                                        state: "paid" or the failure code
//                                                        (out_of_stock, payment_declined, ...)
//   mercato_checkout_revenue_minor_units_total{currency} totals of paid orders
//   mercato_checkout_saga_compensations_total{action}    release_stock | void_payment |
//                                                        refund_payment
//   mercato_checkout_recovered_orders_total{outcome}     orders recovery drove to paid / failed
//
// Outcome labels come from a fixed list (anything else counts as "other") and currencies
// from the catalog's prices, so cardinality is bounded. A replayed request counts nothing.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>

namespace mercato::checkout {

enum class Compensation { kReleaseStock, kVoidPayment, kRefundPayment };

class CheckoutMetrics {
 public:
  explicit CheckoutMetrics(prometheus::Registry& registry);

  void CountPaid(int64_t total, const std::string& currency, bool recovered);
  void CountFailed(const std::string& failure_code, bool recovered);
  void CountCompensation(Compensation action);

 private:
  prometheus::Family<prometheus::Counter>& orders_;
  prometheus::Family<prometheus::Counter>& revenue_;
  prometheus::Family<prometheus::Counter>& compensations_;
  prometheus::Family<prometheus::Counter>& recovered_;
};

}  // namespace mercato::checkout
