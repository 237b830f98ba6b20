#include "payment/config.h"

#include "absl/strings/str_cat.h"

namespace mercato::payment {

absl::StatusOr<PaymentConfig> LoadPaymentConfig(EnvReader& env) {
  PaymentConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50055, /*default_admin_port=*/9105);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 8, 1, 200));
  c.fingerprint_key = env.String("MERCATO_PAYMENT_FINGERPRINT_KEY", "");
  if (c.fingerprint_key.empty()) {
    c.fingerprint_key = kDevelopmentFingerprintKey;
    c.using_development_key = true;
  } else if (c.fingerprint_key.size() < kMinFingerprintKeyLength) {
    env.AddError("MERCATO_PAYMENT_FINGERPRINT_KEY",
                 absl::StrCat("must be at least ", kMinFingerprintKeyLength, " characters"));
  }
  c.max_amount = env.Int("MERCATO_PAYMENT_MAX_AMOUNT", kDefaultMaxAmount, 1, 1'000'000'000'000'000);
  c.identity = auth::ReadIdentityConfig(env, {.callers = {"checkout"}});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::payment
