// Configuration of the cart service, from environment variables.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/backend_policy.h"
#include "common/config.h"
#include "redis/redis_client.h"

namespace mercato::cart {

struct CartConfig {
  ServerConfig server;
  // Keys of its callers (and its own, and the access-token key where it needs them).
  auth::IdentityConfig identity;
  std::string bind_address;
  // Endpoint, pool size and timeouts of the Redis holding the carts.
  RedisClient::Options redis;
  // host:port of the catalog's gRPC service (prices, names, stock).
  std::string catalog_address;
  // Breaker, bulkhead and retries of the calls to each backend ("catalog").
  std::map<std::string, BackendPolicy> backends;
  // The currency of an empty cart's zero subtotal (a cart with lines has its lines' one).
  std::string empty_cart_currency = "USD";
};

// Reads MERCATO_SERVICE_KEY, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_CHECKOUT_PUBLIC_KEY,
// MERCATO_ACCESS_TOKEN_PUBLIC_KEY (all required), MERCATO_REDIS_URL (required),
// MERCATO_REDIS_POOL_SIZE,
// MERCATO_REDIS_CONNECT_TIMEOUT_MS, MERCATO_REDIS_COMMAND_TIMEOUT_MS, MERCATO_CATALOG_ADDR,
// MERCATO_CART_CURRENCY, MERCATO_RESILIENCE, MERCATO_CATALOG_RESILIENCE, MERCATO_BIND_ADDRESS
// and the shared server settings (config.h in libs/common). deploy/services.json describes each.
absl::StatusOr<CartConfig> LoadCartConfig(EnvReader& env);

}  // namespace mercato::cart
