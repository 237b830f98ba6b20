#include "payment/config.h"

namespace mercato::payment {

absl::StatusOr<PaymentConfig> LoadPaymentConfig(EnvReader& env) {
  PaymentConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50055, /*default_admin_port=*/9105);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 8, 1, 200));
  c.fingerprint_key =
      env.RequiredSecret("MERCATO_PAYMENT_FINGERPRINT_KEY", kMinFingerprintKeyLength);
  c.max_amount = env.Int("MERCATO_PAYMENT_MAX_AMOUNT", kDefaultMaxAmount, 1, 1'000'000'000'000'000);
  c.authorization_max_age = absl::Seconds(env.Int("MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S",
                                                  kDefaultAuthorizationMaxAgeSeconds, 1, 86400));
  c.events = events::ReadEventsConfig(env, "payment");
  c.identity = auth::ReadIdentityConfig(env, {.callers = {"checkout"}});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::payment
