#include "user/config.h"

namespace mercato::user {

absl::StatusOr<UserConfig> LoadUserConfig(EnvReader& env) {
  UserConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50053, /*default_admin_port=*/9103);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 8, 1, 200));
  c.access_token_key = auth::ReadSigningKey(env, "MERCATO_ACCESS_TOKEN_KEY");
  // The gateway for everything but GetContact, the notification service for GetContact only
  // (UserService checks which caller may call what).
  c.identity = auth::ReadIdentityConfig(env, {.callers = {"gateway", "notification"}});
  // Its own tokens are verified with the public half of the key that signs them.
  if (c.access_token_key) c.identity.access_token_key = c.access_token_key->verifying_key();
  c.access_token_ttl = std::chrono::seconds(env.Int(
      "MERCATO_ACCESS_TOKEN_TTL_S", kMaxAccessTokenTtlSeconds, 1, kMaxAccessTokenTtlSeconds));
  c.refresh_token_ttl = std::chrono::seconds(
      env.Int("MERCATO_REFRESH_TOKEN_TTL_S", 30 * 24 * 3600, 60, 365 * 24 * 3600));
  c.admin_email = env.String("MERCATO_ADMIN_EMAIL", "");
  // Read as a secret would be: the value never appears in an error.
  c.admin_password = env.String("MERCATO_ADMIN_PASSWORD", "");
  if (c.admin_email.empty() != c.admin_password.empty()) {
    env.AddError(c.admin_email.empty() ? "MERCATO_ADMIN_EMAIL" : "MERCATO_ADMIN_PASSWORD",
                 "must be set together with the other MERCATO_ADMIN_* variable");
  }
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::user
