// Configuration of the user service, from environment variables (deploy/services.json
// describes each one).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "auth/keys.h"
#include "common/config.h"

namespace mercato::user {

// Longest access-token lifetime allowed: the gateway verifies tokens without asking us, so
// a stolen one stays usable until it expires.
inline constexpr int kMaxAccessTokenTtlSeconds = 900;

struct UserConfig {
  ServerConfig server;
  // The keys of its callers: the gateway, and the notification service (GetContact only);
  // the access-token key below verifies shoppers.
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/users
  std::string database_url;
  int db_pool_size = 8;
  // ES256 private key that signs access tokens; everyone else verifies them with its public
  // half (MERCATO_ACCESS_TOKEN_PUBLIC_KEY).
  std::optional<auth::SigningKey> access_token_key;
  std::chrono::seconds access_token_ttl{900};
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
  // Admin account ensured at start-up when both are set.
  std::string admin_email;
  std::string admin_password;
};

// Reads MERCATO_DATABASE_URL (required), MERCATO_DB_POOL_SIZE, MERCATO_ACCESS_TOKEN_KEY
// (required, a P-256 private key in PEM), MERCATO_GATEWAY_PUBLIC_KEY and
// MERCATO_NOTIFICATION_PUBLIC_KEY (required),
// MERCATO_ACCESS_TOKEN_TTL_S (1..900, default 900),
// MERCATO_REFRESH_TOKEN_TTL_S (default 30 days), MERCATO_ADMIN_EMAIL, MERCATO_ADMIN_PASSWORD
// (both or neither), MERCATO_BIND_ADDRESS and the shared server settings.
absl::StatusOr<UserConfig> LoadUserConfig(EnvReader& env);

}  // namespace mercato::user
