// Configuration of the checkout service, from environment variables.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/backend_policy.h"
#include "common/config.h"
#include "events/config.h"

namespace mercato::checkout {

struct CheckoutConfig {
  ServerConfig server;
  // Keys of its callers (and its own, and the access-token key where it needs them).
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/checkout
  std::string database_url;
  int db_pool_size = 16;
  std::string catalog_address;
  std::string cart_address;
  std::string payment_address;
  // Breaker, bulkhead and retries of the calls to each backend ("catalog", "cart", "payment").
  std::map<std::string, BackendPolicy> backends;
  // How long the catalog holds an order's stock (ReserveStock ttl_seconds). Far longer than a
  // saga takes, so that only an order abandoned for that long loses its reservation.
  std::chrono::seconds reservation_ttl{900};
  // How long a request (or a recovery pass) owns a pending order after each step it records.
  // Recovery takes over an order whose lease ran out; must exceed the RPC timeout, since a
  // step is one RPC between two writes.
  std::chrono::milliseconds lease{30000};
  // How often recovery looks for pending orders whose lease ran out.
  std::chrono::milliseconds recovery_interval{5000};
  // How long after an Authorize could have been sent a "no such payment" answer is believed:
  // until then the call may still be running inside the payment service.
  std::chrono::milliseconds payment_grace{10000};
  // The broker, the outbox relay of its order events and the consumer of payment events.
  events::EventsConfig events;
};

// Reads MERCATO_DATABASE_URL, MERCATO_SERVICE_KEY, MERCATO_GATEWAY_PUBLIC_KEY,
// MERCATO_FULFILLMENT_PUBLIC_KEY (accepted for RecordFulfillment only),
// MERCATO_ACCESS_TOKEN_PUBLIC_KEY (all required), MERCATO_DB_POOL_SIZE, MERCATO_CATALOG_ADDR,
// MERCATO_CART_ADDR, MERCATO_PAYMENT_ADDR, MERCATO_CHECKOUT_RESERVATION_TTL_S,
// MERCATO_CHECKOUT_LEASE_MS, MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS,
// MERCATO_CHECKOUT_PAYMENT_GRACE_MS, MERCATO_RESILIENCE, MERCATO_CATALOG_RESILIENCE,
// MERCATO_CART_RESILIENCE, MERCATO_PAYMENT_RESILIENCE, MERCATO_BIND_ADDRESS, the event
// settings (MERCATO_KAFKA_BROKERS required; events/config.h) and the shared server settings
// (config.h in libs/common). deploy/services.json describes each.
absl::StatusOr<CheckoutConfig> LoadCheckoutConfig(EnvReader& env);

}  // namespace mercato::checkout
