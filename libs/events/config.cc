#include "events/config.h"

namespace mercato::events {

using std::chrono::milliseconds;

EventsConfig ReadEventsConfig(EnvReader& env, const std::string& service) {
  EventsConfig c;
  c.kafka.brokers = env.RequiredString("MERCATO_KAFKA_BROKERS");
  c.kafka.client_id = service;
  c.kafka.delivery_timeout = env.Millis("MERCATO_KAFKA_DELIVERY_TIMEOUT_MS", milliseconds(10000),
                                        milliseconds(1000), milliseconds(300000));
  c.relay.poll_interval = env.Millis("MERCATO_OUTBOX_POLL_INTERVAL_MS", milliseconds(250),
                                     milliseconds(10), milliseconds(60000));
  const int64_t hours = env.Int("MERCATO_OUTBOX_RETENTION_HOURS", 168, 1, 24 * 365);
  c.relay.retention = std::chrono::hours(hours);
  c.consumer.kafka = c.kafka;
  c.consumer.max_attempts = static_cast<int>(env.Int("MERCATO_EVENTS_MAX_ATTEMPTS", 5, 1, 1000));
  c.consumer.inbox_retention = std::chrono::hours(2 * hours);
  return c;
}

}  // namespace mercato::events
