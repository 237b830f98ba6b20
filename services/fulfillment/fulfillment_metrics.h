// The fulfillment worker's own metrics (besides the consumer's, the relay's and the gRPC
// client's): mercato_fulfillment_transitions_total{from,to} (shipments moved between states),
// mercato_fulfillment_carrier_call_failures_total{stage,code} (RecordFulfillment calls that
// failed and will be retried), mercato_worker_first_event_seconds (process start to the first
// event handled). Consumer lag is Kafka's own (the group's committed offsets).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "fulfillment/shipment_rules.h"

namespace mercato::fulfillment {

class FulfillmentMetrics {
 public:
  explicit FulfillmentMetrics(prometheus::Registry& registry);

  void Transition(ShipmentState from, ShipmentState to);
  void CarrierCallFailed(const std::string& stage, const std::string& code);
  void SetFirstEvent(double seconds) { first_event_.Set(seconds); }

 private:
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Gauge& first_event_;
};

}  // namespace mercato::fulfillment
