#include "gateway/config.h"

#include <thread>

namespace mercato::gateway {
namespace {

void ReadRateLimits(EnvReader& env, GatewayConfig& c) {
  const std::pair<const char*, RateLimit*> limits[] = {
      {"MERCATO_RATE_LIMIT_CLIENT", &c.rate_limit_client},
      {"MERCATO_RATE_LIMIT_USER", &c.rate_limit_user},
      {"MERCATO_RATE_LIMIT_LOGIN", &c.rate_limit_login},
      {"MERCATO_RATE_LIMIT_CHECKOUT", &c.rate_limit_checkout}};
  for (const auto& [name, limit] : limits) {
    auto parsed = ParseRateLimit(env.String(name, "off"));
    if (parsed.ok()) {
      *limit = *parsed;
    } else {
      env.AddError(name, std::string(parsed.status().message()));
    }
  }
}

}  // namespace

absl::StatusOr<GatewayConfig> LoadGatewayConfig(EnvReader& env) {
  using std::chrono::milliseconds;
  GatewayConfig c;
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.http_port = env.Port("MERCATO_HTTP_PORT", 8080);
  c.admin_port = env.Port("MERCATO_ADMIN_PORT", 9100);
  c.log_level =
      env.OneOf("MERCATO_LOG_LEVEL", "info", {"trace", "debug", "info", "warn", "error", "off"});
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  c.io_threads = static_cast<int>(env.Int("MERCATO_IO_THREADS", cores, 1, 256));
  c.max_in_flight = static_cast<int>(env.Int("MERCATO_MAX_IN_FLIGHT", 1024, 1, 1000000));
  c.max_header_bytes =
      static_cast<size_t>(env.Int("MERCATO_MAX_HEADER_BYTES", 8 * 1024, 1024, 1024 * 1024));
  c.max_body_bytes =
      static_cast<size_t>(env.Int("MERCATO_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024));
  c.request_timeout = env.Millis("MERCATO_REQUEST_TIMEOUT_MS", milliseconds(10000),
                                 milliseconds(100), milliseconds(600000));
  c.rpc_timeout = env.Millis("MERCATO_RPC_TIMEOUT_MS", milliseconds(3000), milliseconds(10),
                             milliseconds(120000));
  c.idle_timeout = env.Millis("MERCATO_IDLE_TIMEOUT_MS", milliseconds(30000), milliseconds(1000),
                              milliseconds(3600000));
  c.shutdown_grace = env.Millis("MERCATO_SHUTDOWN_GRACE_MS", milliseconds(10000), milliseconds(0),
                                milliseconds(600000));
  c.readyz_cache = env.Millis("MERCATO_READYZ_CACHE_MS", milliseconds(1000), milliseconds(0),
                              milliseconds(60000));
  c.access_log = env.Bool("MERCATO_ACCESS_LOG", true);
  c.web_root = env.String("MERCATO_WEB_ROOT", "");
  c.catalog_address = env.String("MERCATO_CATALOG_ADDR", "127.0.0.1:50051");
  c.cart_address = env.String("MERCATO_CART_ADDR", "127.0.0.1:50052");
  c.user_address = env.String("MERCATO_USER_ADDR", "127.0.0.1:50053");
  c.checkout_address = env.String("MERCATO_CHECKOUT_ADDR", "127.0.0.1:50054");
  c.identity =
      auth::ReadIdentityConfig(env, {.calls_others = true, .verifies_access_tokens = true});
  c.jwt_clock_skew = std::chrono::seconds(env.Int("MERCATO_JWT_CLOCK_SKEW_S", 30, 0, 300));
  c.cart_cookie_key = env.RequiredSecret("MERCATO_CART_COOKIE_KEY", 32);
  c.backends = ReadBackendPolicies(env, {"catalog", "cart", "user", "checkout"});
  ReadRateLimits(env, c);
  auto proxies = TrustedProxies::Parse(env.String("MERCATO_TRUSTED_PROXIES", ""));
  if (proxies.ok()) {
    c.trusted_proxies = *std::move(proxies);
  } else {
    env.AddError("MERCATO_TRUSTED_PROXIES", std::string(proxies.status().message()));
  }
  c.cache_max_bytes = static_cast<size_t>(
      env.Int("MERCATO_GATEWAY_CACHE_MAX_BYTES", 16 * 1024 * 1024, 0, int64_t{1} << 32));
  c.cache_poll_interval = env.Millis("MERCATO_GATEWAY_CACHE_POLL_MS", milliseconds(100),
                                     milliseconds(10), milliseconds(250));
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::gateway
