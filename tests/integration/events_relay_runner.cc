// A relay process for the kill -9 test (events_integration_test): one publishing pass over
// the outbox of MERCATO_DATABASE_URL to MERCATO_KAFKA_BROKERS, then exit 0 (1 on failure).
// Started with MERCATO_FAULT_CRASH_AT=events.relay.after_publish it kills itself after the
// broker acknowledged the batch and before the rows are marked sent.
#include <cstdio>
#include <cstdlib>

#include "common/logging.h"
#include "db/pg_pool.h"
#include "events/outbox_relay.h"
#include "metrics/metrics.h"

int main() {
  const char* database = std::getenv("MERCATO_DATABASE_URL");
  const char* brokers = std::getenv("MERCATO_KAFKA_BROKERS");
  if (database == nullptr || brokers == nullptr) {
    std::fprintf(stderr, "set MERCATO_DATABASE_URL and MERCATO_KAFKA_BROKERS\n");
    return 2;
  }
  auto pool = mercato::PgPool::Create({.conninfo = database, .size = 2});
  auto publisher =
      mercato::events::NewKafkaPublisher({.brokers = brokers, .client_id = "relay-runner"});
  if (!pool.ok() || !publisher.ok()) {
    std::fprintf(stderr, "start-up failed\n");
    return 1;
  }
  mercato::Metrics metrics("relay-runner");
  mercato::events::OutboxRelay relay(**pool, std::move(*publisher), metrics.registry());
  auto published = relay.PublishPending();
  if (!published.ok()) {
    std::fprintf(stderr, "publishing failed: %s\n", published.status().ToString().c_str());
    return 1;
  }
  std::printf("published %d\n", *published);
  return 0;
}
