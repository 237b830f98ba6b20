// The fulfillment worker's consumer of mercato.orders.v1 (group "fulfillment"): OrderPaid
// creates the order's shipment (created, due now; one per order however often the event comes),
// OrderCancelled cancels a shipment that has not shipped; every other event is ignored. It runs
// inside the transaction in which events::EventConsumer records the event id in the inbox, so a
// redelivered event changes nothing.
//
//   auto consumer = events::EventConsumer::Create(
//       OrderEventConsumerOptions(config.events.consumer), *pool,
//       FirstEventTimer(start, metrics).Wrap(ApplyOrderEvent), registry);
#pragma once

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "events/consumer.h"
#include "fulfillment/fulfillment_metrics.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::fulfillment {

inline constexpr char kOrderEventsGroup[] = "fulfillment";

// `base` (from events::ReadEventsConfig) with the group and topic of this consumer.
events::ConsumerOptions OrderEventConsumerOptions(events::ConsumerOptions base);

// The handler: applies OrderPaid / OrderCancelled within `tx`.
absl::Status ApplyOrderEvent(const events::v1::Envelope& event, pqxx::work& tx);

// Logs "first event handled after N ms" (since `process_start`) once, for the first event the
// handler it wraps handled, and sets mercato_worker_first_event_seconds.
class FirstEventTimer {
 public:
  FirstEventTimer(std::chrono::steady_clock::time_point process_start, FulfillmentMetrics& metrics)
      : start_(process_start), metrics_(metrics) {}
  // `handler`, then the first-event record when it succeeded. The timer must outlive it.
  events::EventHandler Wrap(events::EventHandler handler);

 private:
  void Record();

  const std::chrono::steady_clock::time_point start_;
  FulfillmentMetrics& metrics_;
  std::atomic<bool> recorded_{false};
};

}  // namespace mercato::fulfillment
