// The environment variables of a service that publishes or consumes events, read into the
// options of libs/events (a service's config.cc calls it; its variables then belong in the
// service's entry of deploy/services.json):
//
//   MERCATO_KAFKA_BROKERS               bootstrap servers, required ("127.0.0.1:59092")
//   MERCATO_KAFKA_DELIVERY_TIMEOUT_MS   how long one record is tried before it counts as
//                                       failed (default 10000)
//   MERCATO_OUTBOX_POLL_INTERVAL_MS     the relay's pause between passes (default 250)
//   MERCATO_OUTBOX_RETENTION_HOURS      sent outbox rows (and applied inbox rows: twice this)
//                                       are deleted after (default 168)
//   MERCATO_EVENTS_MAX_ATTEMPTS         handler failures before a dead letter (default 5)
//
//   mercato::EnvReader env;
//   events::EventsConfig events = events::ReadEventsConfig(env, "checkout");
#pragma once

#include <string>

#include "common/config.h"
#include "events/consumer.h"
#include "events/kafka.h"
#include "events/outbox_relay.h"

namespace mercato::events {

struct EventsConfig {
  KafkaOptions kafka;        // client_id = the service's name
  OutboxRelayOptions relay;  // for a producing service
  ConsumerOptions consumer;  // its kafka, max_attempts and retention; group and topics unset
};

EventsConfig ReadEventsConfig(EnvReader& env, const std::string& service);

}  // namespace mercato::events
