// The simulated carrier: every pass takes the shipments that are due, one at a time, records
// their next stage with checkout (RecordFulfillment, with this service's token) and moves
// them on (shipment_rules.h):
//
//   created  -> FULFILLING -> packing,   due again after ship_delay
//   packing  -> a carrier and tracking number stored first (a repeat reuses them) -> SHIPPED
//            -> shipped + OrderShipped in the outbox (same transaction), due after delivery_delay
//   shipped  -> DELIVERED -> delivered + OrderDelivered
//
// "order_cancelled" / "order_refunded" before shipping: the shipment is cancelled. Any other
// failure: the shipment is due again after RetryDelay (backoff). RecordFulfillment is
// idempotent, so a crash between the call and the local commit just repeats the call.
//
//   FulfillmentService carrier(store, *checkout_stub, metrics, {...});
//   PeriodicTask task("carrier", poll_interval, [&] { return carrier.AdvanceDue().status(); });
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "fulfillment/fulfillment_metrics.h"
#include "fulfillment/fulfillment_store.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"

namespace mercato::fulfillment {

struct CarrierOptions {
  std::chrono::milliseconds ship_delay{30000};
  std::chrono::milliseconds delivery_delay{60000};
  std::vector<std::string> carriers = {"Mercato Post", "Parcel Express"};
  // Deadline of one RecordFulfillment call.
  std::chrono::milliseconds rpc_timeout{3000};
  // Steps per pass at most (the rest waits for the next pass).
  int max_steps_per_pass = 256;
  // Returns true when the pass should end early (shutdown).
  std::function<bool()> stopping = [] { return false; };
};

class FulfillmentService {
 public:
  FulfillmentService(FulfillmentStore& store,
                     checkout::v1::CheckoutService::StubInterface& checkout,
                     FulfillmentMetrics& metrics, CarrierOptions options);

  // One pass: steps every due shipment; returns how many steps were taken (moved or retried).
  absl::StatusOr<int> AdvanceDue();

  // A claimed shipment's lease: longer than its one call to checkout.
  std::chrono::milliseconds Lease() const {
    return options_.rpc_timeout * 2 + std::chrono::seconds(1);
  }

 private:
  absl::Status TakeStep(Shipment shipment);
  // The carrier and tracking number the shipment keeps (chosen once).
  absl::StatusOr<Shipment> WithCarrier(const Shipment& shipment);
  absl::Status Record(const Shipment& shipment, checkout::v1::FulfillmentStage stage);
  absl::Status Finish(const Shipment& shipment, ShipmentState next);
  std::string NewTracking();

  FulfillmentStore& store_;
  checkout::v1::CheckoutService::StubInterface& checkout_;
  FulfillmentMetrics& metrics_;
  const CarrierOptions options_;
  absl::Mutex random_mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(random_mu_);
};

// The event of reaching `state` (shipped: OrderShipped, delivered: OrderDelivered), if any.
std::optional<events::v1::Envelope> EventFor(const Shipment& shipment, ShipmentState state);

}  // namespace mercato::fulfillment
