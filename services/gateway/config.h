// Configuration of the API gateway, from environment variables.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/backend_policy.h"
#include "common/config.h"
#include "gateway/client_address.h"
#include "gateway/rate_limiter.h"

namespace mercato::gateway {

struct GatewayConfig {
  std::string bind_address;
  int http_port = 8080;
  int admin_port = 9100;
  std::string log_level = "info";
  // Threads running the asynchronous HTTP I/O (default: one per core).
  int io_threads = 0;
  // The most requests being answered at once; beyond that the gateway answers 503 at once.
  int max_in_flight = 1024;
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  // Whole-request budget; every backend call is bounded by it and by rpc_timeout.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds rpc_timeout{3000};
  // Idle keep-alive connections are closed after this long.
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
  // How long /readyz reuses its backend checks (it is public; readiness_cache.h).
  std::chrono::milliseconds readyz_cache{1000};
  bool access_log = true;
  // Directory with the storefront's static files.
  std::string web_root;
  std::string catalog_address;
  std::string cart_address;
  std::string user_address;
  std::string checkout_address;
  // The gateway's own key (service tokens on its backend calls; also keys the checkout request
  // fingerprints) and the user service's public access-token key (auth/identity_config.h).
  auth::IdentityConfig identity;
  // How far the clocks of the user service and the gateway may disagree when checking an
  // access token's exp / iat.
  std::chrono::seconds jwt_clock_skew{30};
  // HMAC key of the guest cart cookie (cart_cookie.h), at least 32 characters.
  std::string cart_cookie_key;
  // Breaker, bulkhead and retries of the calls to each backend (catalog, cart, user,
  // checkout).
  std::map<std::string, BackendPolicy> backends;
  // Token buckets (rate_limiter.h), each per gateway replica; all off by default. client: every
  // request by client address; user: every request of a signed-in user by user id; login:
  // POST /api/v1/sessions by client address; checkout: POST /api/v1/checkout by user id.
  RateLimit rate_limit_client;
  RateLimit rate_limit_user;
  RateLimit rate_limit_login;
  RateLimit rate_limit_checkout;
  // Peers whose X-Forwarded-For names the client (client_address.h); none by default.
  TrustedProxies trusted_proxies;
  // Bound of the catalog routes' response cache (response_cache.h); 0 = off. The variable's
  // default is 16 MiB; a GatewayConfig built in code (tests) has it off.
  size_t cache_max_bytes = 0;
  // How often the gateway asks the catalog for its version (the cache's freshness).
  std::chrono::milliseconds cache_poll_interval{100};
};

// Reads MERCATO_HTTP_PORT, MERCATO_ADMIN_PORT, MERCATO_BIND_ADDRESS, MERCATO_LOG_LEVEL,
// MERCATO_IO_THREADS, MERCATO_MAX_IN_FLIGHT,
// MERCATO_MAX_HEADER_BYTES, MERCATO_MAX_BODY_BYTES, MERCATO_REQUEST_TIMEOUT_MS,
// MERCATO_RPC_TIMEOUT_MS, MERCATO_IDLE_TIMEOUT_MS, MERCATO_SHUTDOWN_GRACE_MS,
// MERCATO_READYZ_CACHE_MS, MERCATO_ACCESS_LOG, MERCATO_WEB_ROOT, MERCATO_CATALOG_ADDR,
// MERCATO_CART_ADDR, MERCATO_USER_ADDR, MERCATO_CHECKOUT_ADDR, MERCATO_SERVICE_KEY (required),
// MERCATO_ACCESS_TOKEN_PUBLIC_KEY (required), MERCATO_JWT_CLOCK_SKEW_S,
// MERCATO_CART_COOKIE_KEY (required), MERCATO_RESILIENCE,
// MERCATO_<BACKEND>_RESILIENCE for each backend, MERCATO_RATE_LIMIT_CLIENT,
// MERCATO_RATE_LIMIT_USER, MERCATO_RATE_LIMIT_LOGIN, MERCATO_RATE_LIMIT_CHECKOUT,
// MERCATO_TRUSTED_PROXIES, MERCATO_GATEWAY_CACHE_MAX_BYTES, MERCATO_GATEWAY_CACHE_POLL_MS
// (deploy/services.json describes each).
absl::StatusOr<GatewayConfig> LoadGatewayConfig(EnvReader& env);

}  // namespace mercato::gateway
