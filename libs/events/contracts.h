// The event contracts in code: topic names, where each payload goes, and how an envelope is
// made (proto/mercato/events/v1/events.proto; docs/events.md).
//
//   v1::Envelope event = events::NewEvent("checkout");    // id, occurred_at, traceparent
//   event.mutable_order_paid()->set_order_id(order_id);   // the payload
//   absl::Status s = events::AppendToOutbox(tx, event);   // outbox.h: seals and records it
//
// Seal() fills in what follows from the payload (type, aggregate type and id) and checks the
// rest, so a producer cannot put an event on the wrong topic or under the wrong key.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::events {

inline constexpr char kOrdersTopic[] = "mercato.orders.v1";
inline constexpr char kPaymentsTopic[] = "mercato.payments.v1";
inline constexpr char kCatalogTopic[] = "mercato.catalog.v1";
// Where consumers put the events they gave up on (dead_letter.h).
inline constexpr char kDeadLetterTopic[] = "mercato.deadletter.v1";

// Kafka record headers set on every event (besides the key and the Envelope as the value).
inline constexpr char kEventIdHeader[] = "event_id";
inline constexpr char kTypeHeader[] = "type";
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kContentTypeHeader[] = "content-type";
inline constexpr char kContentType[] =
    "application/x-protobuf; messageType=mercato.events.v1.Envelope";

inline constexpr int kSchemaVersion = 1;

// Every topic of the backbone, the dead-letter topic last (as in tools/kafka/topics.txt).
const std::vector<std::string>& AllTopics();

struct Route {
  std::string topic;
  std::string aggregate_type;  // "order", "payment", "product"
  std::string aggregate_id;    // the Kafka key
};

// Where the envelope's payload belongs. INVALID_ARGUMENT when it has no payload or the payload
// names no aggregate id.
absl::StatusOr<Route> RouteOf(const v1::Envelope& event);

// A new envelope from `source` (the service name): a fresh event id, occurred_at now, the
// traceparent of the request this thread is handling (common/call_context.h), if any.
v1::Envelope NewEvent(const std::string& source);

// Fills type, aggregate_type and aggregate_id from the payload and checks the envelope: a
// UUID event id, a source, occurred_at, a payload. Returns the route (topic and key).
absl::StatusOr<Route> Seal(v1::Envelope& event);

}  // namespace mercato::events
