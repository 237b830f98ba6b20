#include "checkout/config.h"

namespace mercato::checkout {

absl::StatusOr<CheckoutConfig> LoadCheckoutConfig(EnvReader& env) {
  using std::chrono::milliseconds;
  CheckoutConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50054, /*default_admin_port=*/9104);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 16, 1, 200));
  c.catalog_address = env.String("MERCATO_CATALOG_ADDR", "127.0.0.1:50051");
  c.cart_address = env.String("MERCATO_CART_ADDR", "127.0.0.1:50052");
  c.payment_address = env.String("MERCATO_PAYMENT_ADDR", "127.0.0.1:50055");
  c.backends = ReadBackendPolicies(env, {"catalog", "cart", "payment"});
  c.reservation_ttl =
      std::chrono::seconds(env.Int("MERCATO_CHECKOUT_RESERVATION_TTL_S", 900, 1, 3600));
  c.lease = env.Millis("MERCATO_CHECKOUT_LEASE_MS", milliseconds(30000), milliseconds(100),
                       milliseconds(3600000));
  c.recovery_interval = env.Millis("MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", milliseconds(5000),
                                   milliseconds(10), milliseconds(3600000));
  c.payment_grace = env.Millis("MERCATO_CHECKOUT_PAYMENT_GRACE_MS", milliseconds(10000),
                               milliseconds(0), milliseconds(3600000));
  if (c.lease <= c.server.rpc_timeout) {
    env.AddError("MERCATO_CHECKOUT_LEASE_MS", "must be longer than MERCATO_RPC_TIMEOUT_MS");
  }
  if (std::chrono::duration_cast<std::chrono::seconds>(c.lease) >= c.reservation_ttl) {
    env.AddError("MERCATO_CHECKOUT_RESERVATION_TTL_S",
                 "must be longer than MERCATO_CHECKOUT_LEASE_MS");
  }
  c.events = events::ReadEventsConfig(env, "checkout");
  c.identity = auth::ReadIdentityConfig(env, {.callers = {"gateway", "fulfillment"},
                                              .calls_others = true,
                                              .verifies_access_tokens = true});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::checkout
