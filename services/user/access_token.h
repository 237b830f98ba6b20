// Short-lived access tokens: JWTs signed with HS256 through libjwt. The gateway verifies
// them with the same key (services/gateway/auth.h) and never calls us per request.
//
//   AccessTokenIssuer issuer(config.jwt_secret, std::chrono::seconds(900));
//   absl::StatusOr<std::string> jwt = issuer.Issue(user_id, "customer", now);
//
// Claims: iss "mercato", aud "mercato-api", sub (user id), role ("customer" / "admin"),
// iat, exp = iat + ttl (at most 15 minutes), jti (a fresh UUID).
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

namespace mercato::user {

inline constexpr char kTokenIssuer[] = "mercato";
inline constexpr char kTokenAudience[] = "mercato-api";

class AccessTokenIssuer {
 public:
  AccessTokenIssuer(std::string secret, std::chrono::seconds ttl)
      : secret_(std::move(secret)), ttl_(ttl) {}

  absl::StatusOr<std::string> Issue(const std::string& user_id, const std::string& role,
                                    std::chrono::system_clock::time_point now) const;

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
};

}  // namespace mercato::user
