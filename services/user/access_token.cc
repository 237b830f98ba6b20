#include "user/access_token.h"

#include <nlohmann/json.hpp>

#include "auth/access_token.h"
#include "auth/jwt.h"
#include "common/ids.h"

namespace mercato::user {

absl::StatusOr<std::string> AccessTokenIssuer::Issue(
    const std::string& user_id, const std::string& role,
    std::chrono::system_clock::time_point now) const {
  const long iat = static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  nlohmann::json claims;
  claims["iss"] = auth::kAccessTokenIssuer;
  claims["aud"] = auth::kAccessTokenAudience;
  claims["sub"] = user_id;
  claims["role"] = role;
  claims["iat"] = iat;
  claims["exp"] = iat + static_cast<long>(ttl_.count());
  claims["jti"] = NewUuid();
  return auth::SignEs256(claims, key_);
}

}  // namespace mercato::user
