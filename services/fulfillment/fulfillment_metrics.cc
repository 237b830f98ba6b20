#include "fulfillment/fulfillment_metrics.h"

namespace mercato::fulfillment {

FulfillmentMetrics::FulfillmentMetrics(prometheus::Registry& registry)
    : transitions_(prometheus::BuildCounter()
                       .Name("mercato_fulfillment_transitions_total")
                       .Help("Shipments moved from one state to another")
                       .Register(registry)),
      failures_(prometheus::BuildCounter()
                    .Name("mercato_fulfillment_carrier_call_failures_total")
                    .Help("RecordFulfillment calls to checkout that failed (retried later)")
                    .Register(registry)),
      first_event_(prometheus::BuildGauge()
                       .Name("mercato_worker_first_event_seconds")
                       .Help("Seconds from process start to the first event handled")
                       .Register(registry)
                       .Add({{"service", "fulfillment"}})) {}

void FulfillmentMetrics::Transition(ShipmentState from, ShipmentState to) {
  transitions_.Add({{"from", StateName(from)}, {"to", StateName(to)}}).Increment();
}

void FulfillmentMetrics::CarrierCallFailed(const std::string& stage, const std::string& code) {
  failures_.Add({{"stage", stage}, {"code", code}}).Increment();
}

}  // namespace mercato::fulfillment
