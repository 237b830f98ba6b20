#include "fulfillment/fulfillment_service.h"

#include <spdlog/spdlog.h>

#include "common/status.h"
#include "events/contracts.h"
#include "rpc/call.h"

namespace mercato::fulfillment {
namespace {

using checkout::v1::FulfillmentStage;

std::string StageName(FulfillmentStage stage) {
  switch (stage) {
    case checkout::v1::FULFILLMENT_STAGE_FULFILLING:
      return "fulfilling";
    case checkout::v1::FULFILLMENT_STAGE_SHIPPED:
      return "shipped";
    case checkout::v1::FULFILLMENT_STAGE_DELIVERED:
      return "delivered";
    default:
      return "unspecified";
  }
}

template <typename Payload>
void FillShipmentFacts(Payload* p, const Shipment& s) {
  p->set_order_id(s.order_id);
  p->set_user_id(s.user_id);
  p->set_shipment_id(s.id);
  p->set_carrier(s.carrier);
  p->set_tracking_number(s.tracking_number);
}

}  // namespace

std::optional<events::v1::Envelope> EventFor(const Shipment& shipment, ShipmentState state) {
  events::v1::Envelope event = events::NewEvent("fulfillment");
  if (state == ShipmentState::kShipped) {
    FillShipmentFacts(event.mutable_order_shipped(), shipment);
  } else if (state == ShipmentState::kDelivered) {
    FillShipmentFacts(event.mutable_order_delivered(), shipment);
  } else {
    return std::nullopt;
  }
  return event;
}

FulfillmentService::FulfillmentService(FulfillmentStore& store,
                                       checkout::v1::CheckoutService::StubInterface& checkout,
                                       FulfillmentMetrics& metrics, CarrierOptions options)
    : store_(store),
      checkout_(checkout),
      metrics_(metrics),
      options_(std::move(options)),
      random_(std::random_device{}()) {}

absl::StatusOr<int> FulfillmentService::AdvanceDue() {
  int steps = 0;
  while (steps < options_.max_steps_per_pass && !options_.stopping()) {
    auto shipment = store_.ClaimDue(Lease());
    if (!shipment.ok()) return shipment.status();
    if (!shipment->has_value()) break;
    ++steps;
    if (absl::Status s = TakeStep(**shipment); !s.ok()) return s;
  }
  return steps;
}

absl::Status FulfillmentService::TakeStep(Shipment shipment) {
  const std::optional<Step> step = NextStep(shipment.state);
  if (!step.has_value()) return absl::OkStatus();  // final (claimed by mistake): nothing to do
  if (step->stage == checkout::v1::FULFILLMENT_STAGE_SHIPPED) {
    auto with_carrier = WithCarrier(shipment);
    if (!with_carrier.ok()) return with_carrier.status();
    shipment = *std::move(with_carrier);
  }
  const absl::Status answer = Record(shipment, step->stage);
  switch (Judge(answer, step->stage)) {
    case Verdict::kRecorded:
      return Finish(shipment, step->next);
    case Verdict::kCancelled:
      spdlog::info("shipment {} of order {} cancelled: {}", shipment.id, shipment.order_id,
                   ErrorCodeOf(answer));
      return Finish(shipment, ShipmentState::kCancelled);
    case Verdict::kRetry:
      break;
  }
  metrics_.CarrierCallFailed(StageName(step->stage), ErrorCodeOf(answer));
  const auto delay = RetryDelay(shipment.attempts + 1);
  spdlog::warn("RecordFulfillment {} of order {} failed (retry in {} ms): {}",
               StageName(step->stage), shipment.order_id, delay.count(), answer.ToString());
  return store_.RetryLater(shipment, delay);
}

absl::StatusOr<Shipment> FulfillmentService::WithCarrier(const Shipment& shipment) {
  if (!shipment.tracking_number.empty() && !shipment.carrier.empty()) return shipment;
  return store_.AssignCarrier(shipment, CarrierFor(shipment.order_id, options_.carriers),
                              NewTracking());
}

absl::Status FulfillmentService::Record(const Shipment& shipment, FulfillmentStage stage) {
  checkout::v1::RecordFulfillmentRequest request;
  request.set_order_id(shipment.order_id);
  request.set_stage(stage);
  request.set_shipment_id(shipment.id);
  if (stage == checkout::v1::FULFILLMENT_STAGE_SHIPPED) {
    request.set_carrier(shipment.carrier);
    request.set_tracking_number(shipment.tracking_number);
  }
  return CallUnary(checkout_, &checkout::v1::CheckoutService::StubInterface::RecordFulfillment,
                   request, options_.rpc_timeout)
      .status();
}

absl::Status FulfillmentService::Finish(const Shipment& shipment, ShipmentState next) {
  std::chrono::milliseconds due_in{0};
  if (next == ShipmentState::kPacking) due_in = options_.ship_delay;
  if (next == ShipmentState::kShipped) due_in = options_.delivery_delay;
  auto moved = store_.Advance(shipment, next, due_in, EventFor(shipment, next));
  if (!moved.ok()) return moved.status();
  if (*moved) metrics_.Transition(shipment.state, next);
  return absl::OkStatus();
}

std::string FulfillmentService::NewTracking() {
  absl::MutexLock lock(&random_mu_);
  return NewTrackingNumber(random_);
}

}  // namespace mercato::fulfillment
