// Prometheus counters of stock reservations, by outcome:
//
//   mercato_stock_reservations_total{outcome="reserved"}      new reservations that took stock
//   mercato_stock_reservations_total{outcome="out_of_stock"}  reservations refused for stock
//   mercato_stock_reservations_total{outcome="committed"}     held -> committed (stock sold)
//   mercato_stock_reservations_total{outcome="released"}      held -> released (stock back)
//   mercato_stock_reservations_total{outcome="expired"}       held -> expired by the sweeper
//   mercato_stock_reservations_total{outcome="returned"}      committed -> returned (stock back
//                                                             on hand: ReturnStock)
//
// Idempotent repeats are not counted. Built on a registry (the process's Metrics registry);
// building it twice on one registry yields the same counters.
//
//   InventoryMetrics metrics(process_metrics.registry());
//   metrics.reserved.Increment();
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace mercato::catalog {

struct InventoryMetrics {
  explicit InventoryMetrics(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& family;
  prometheus::Counter& reserved;
  prometheus::Counter& out_of_stock;
  prometheus::Counter& committed;
  prometheus::Counter& released;
  prometheus::Counter& expired;
  prometheus::Counter& returned;
};

}  // namespace mercato::catalog
