#include "events/contracts.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/ids.h"

namespace mercato::events {
namespace {

using v1::Envelope;

Route Make(const char* topic, const char* aggregate_type, const std::string& id) {
  return Route{topic, aggregate_type, id};
}

// The one table of payload -> topic and aggregate.
absl::StatusOr<Route> RouteByPayload(const Envelope& e) {
  switch (e.payload_case()) {
    case Envelope::kOrderPlaced:
      return Make(kOrdersTopic, "order", e.order_placed().order_id());
    case Envelope::kOrderPaid:
      return Make(kOrdersTopic, "order", e.order_paid().order_id());
    case Envelope::kOrderFailed:
      return Make(kOrdersTopic, "order", e.order_failed().order_id());
    case Envelope::kOrderCancelled:
      return Make(kOrdersTopic, "order", e.order_cancelled().order_id());
    case Envelope::kOrderRefunded:
      return Make(kOrdersTopic, "order", e.order_refunded().order_id());
    case Envelope::kOrderShipped:
      return Make(kOrdersTopic, "order", e.order_shipped().order_id());
    case Envelope::kOrderDelivered:
      return Make(kOrdersTopic, "order", e.order_delivered().order_id());
    case Envelope::kPaymentAuthorized:
      return Make(kPaymentsTopic, "payment", e.payment_authorized().payment_id());
    case Envelope::kPaymentCaptured:
      return Make(kPaymentsTopic, "payment", e.payment_captured().payment_id());
    case Envelope::kPaymentVoided:
      return Make(kPaymentsTopic, "payment", e.payment_voided().payment_id());
    case Envelope::kPaymentRefunded:
      return Make(kPaymentsTopic, "payment", e.payment_refunded().payment_id());
    case Envelope::kProductChanged:
      return Make(kCatalogTopic, "product", e.product_changed().product_id());
    case Envelope::kStockChanged:
      return Make(kCatalogTopic, "product", e.stock_changed().product_id());
    case Envelope::PAYLOAD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("event has no payload");
}

// The descriptor name of the payload that is set ("mercato.events.v1.OrderPaid").
std::string PayloadType(const Envelope& e) {
  const auto* field = Envelope::descriptor()->FindFieldByNumber(e.payload_case());
  return field == nullptr ? "" : field->message_type()->full_name();
}

}  // namespace

const std::vector<std::string>& AllTopics() {
  static const std::vector<std::string> topics = {kOrdersTopic, kPaymentsTopic, kCatalogTopic,
                                                  kDeadLetterTopic};
  return topics;
}

absl::StatusOr<Route> RouteOf(const Envelope& event) {
  auto route = RouteByPayload(event);
  if (!route.ok()) return route;
  if (route->aggregate_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(PayloadType(event), " names no ", route->aggregate_type, " id"));
  }
  return route;
}

Envelope NewEvent(const std::string& source) {
  Envelope event;
  event.set_event_id(NewUuid());
  event.set_source(source);
  event.set_schema_version(kSchemaVersion);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  event.mutable_occurred_at()->set_seconds(micros / 1000000);
  event.mutable_occurred_at()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  event.set_traceparent(CurrentCall().traceparent);
  return event;
}

absl::StatusOr<Route> Seal(Envelope& event) {
  auto route = RouteOf(event);
  if (!route.ok()) return route;
  if (!IsUuid(event.event_id())) {
    return absl::InvalidArgumentError(absl::StrCat("event id is not a UUID: ", event.event_id()));
  }
  if (event.source().empty()) return absl::InvalidArgumentError("event has no source");
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("event has no occurred_at");
  if (event.schema_version() == 0) event.set_schema_version(kSchemaVersion);
  event.set_type(PayloadType(event));
  event.set_aggregate_type(route->aggregate_type);
  event.set_aggregate_id(route->aggregate_id);
  return route;
}

}  // namespace mercato::events
