// Configuration of the fulfillment worker, from environment variables.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/backend_policy.h"
#include "common/config.h"
#include "events/config.h"

namespace mercato::fulfillment {

// The consumer's fetch.wait.max.ms (librdkafka's default: 500). One connection to a broker
// answers its requests in order, so while a fetch waits for data there, a partition's offset
// lookup (one with no committed offset yet) waits behind it, and its first fetch behind the
// next: a cold start paid up to 2 x 500 ms for that. 20 ms bounds it, for ~50 empty fetches a
// second per broker while idle.
inline constexpr char kFetchWaitMaxMs[] = "20";

struct FulfillmentConfig {
  ServerConfig server;
  // Its own key (it calls checkout); no service calls it.
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/fulfillment
  std::string database_url;
  int db_pool_size = 4;
  std::string checkout_address;
  // Breaker, bulkhead and retries of the calls to checkout ("checkout").
  std::map<std::string, BackendPolicy> backends;
  // FULFILLING -> SHIPPED, and SHIPPED -> DELIVERED, in the simulated carrier.
  std::chrono::milliseconds ship_delay{30000};
  std::chrono::milliseconds delivery_delay{60000};
  // Never empty; each name at most 64 characters (RecordFulfillment's limit).
  std::vector<std::string> carriers;
  // How often due shipments are advanced.
  std::chrono::milliseconds poll_interval{200};
  // The broker, the consumer of order events and the outbox relay of its own.
  events::EventsConfig events;
};

// "a, b,,c " -> {"a", "b", "c"}.
std::vector<std::string> SplitCarriers(const std::string& list);

// Reads MERCATO_DATABASE_URL and MERCATO_SERVICE_KEY (required), MERCATO_DB_POOL_SIZE,
// MERCATO_CHECKOUT_ADDR, MERCATO_FULFILLMENT_SHIP_DELAY_MS, MERCATO_FULFILLMENT_DELIVERY_DELAY_MS,
// MERCATO_FULFILLMENT_CARRIERS, MERCATO_FULFILLMENT_POLL_MS, MERCATO_RESILIENCE,
// MERCATO_CHECKOUT_RESILIENCE, MERCATO_BIND_ADDRESS, the event settings (MERCATO_KAFKA_BROKERS
// required; events/config.h) and the shared server settings (config.h in libs/common).
// deploy/services.json describes each.
absl::StatusOr<FulfillmentConfig> LoadFulfillmentConfig(EnvReader& env);

}  // namespace mercato::fulfillment
