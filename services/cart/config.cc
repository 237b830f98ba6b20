#include "cart/config.h"

#include "absl/strings/str_cat.h"

namespace mercato::cart {
namespace {

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CartConfig> LoadCartConfig(EnvReader& env) {
  using std::chrono::milliseconds;
  CartConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50052, /*default_admin_port=*/9102);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  const std::string redis_url = env.RequiredString("MERCATO_REDIS_URL");
  if (!redis_url.empty()) {
    auto endpoint = ParseRedisUrl(redis_url);
    if (endpoint.ok()) {
      c.redis.endpoint = *std::move(endpoint);
    } else {
      // The message never repeats the URL: it may hold a password.
      env.AddError("MERCATO_REDIS_URL", std::string(endpoint.status().message()));
    }
  }
  c.redis.pool_size = static_cast<int>(env.Int("MERCATO_REDIS_POOL_SIZE", 16, 1, 1024));
  c.redis.connect_timeout = env.Millis("MERCATO_REDIS_CONNECT_TIMEOUT_MS", milliseconds(500),
                                       milliseconds(1), milliseconds(60000));
  c.redis.command_timeout = env.Millis("MERCATO_REDIS_COMMAND_TIMEOUT_MS", milliseconds(1000),
                                       milliseconds(1), milliseconds(60000));
  // Waiting for a free pooled connection is bounded like a command.
  c.redis.acquire_timeout = c.redis.command_timeout;
  c.catalog_address = env.String("MERCATO_CATALOG_ADDR", "127.0.0.1:50051");
  c.backends = ReadBackendPolicies(env, {"catalog"});
  c.empty_cart_currency = env.String("MERCATO_CART_CURRENCY", "USD");
  if (!IsCurrencyCode(c.empty_cart_currency)) {
    env.AddError(
        "MERCATO_CART_CURRENCY",
        absl::StrCat("must be an ISO 4217 code such as USD, got '", c.empty_cart_currency, "'"));
  }
  c.identity = auth::ReadIdentityConfig(
      env,
      {.callers = {"gateway", "checkout"}, .calls_others = true, .verifies_access_tokens = true});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::cart
