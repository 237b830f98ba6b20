// Short-lived access tokens: JWTs signed with ES256 by the user service's private key
// (MERCATO_ACCESS_TOKEN_KEY), which no other service holds. The gateway and the backends
// verify them with the public key (libs/auth/access_token.h) and never call us per request.
//
//   AccessTokenIssuer issuer(*config.access_token_key, std::chrono::seconds(900));
//   absl::StatusOr<std::string> jwt = issuer.Issue(user_id, "customer", now);
//
// Claims: iss "mercato", aud "mercato-api", sub (user id), role ("customer" / "admin"),
// iat, exp = iat + ttl (at most 15 minutes), jti (a fresh UUID).
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "auth/keys.h"

namespace mercato::user {

class AccessTokenIssuer {
 public:
  AccessTokenIssuer(auth::SigningKey key, std::chrono::seconds ttl)
      : key_(std::move(key)), ttl_(ttl) {}

  absl::StatusOr<std::string> Issue(const std::string& user_id, const std::string& role,
                                    std::chrono::system_clock::time_point now) const;

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  auth::SigningKey key_;
  std::chrono::seconds ttl_;
};

}  // namespace mercato::user
