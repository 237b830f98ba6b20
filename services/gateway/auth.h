// Access-token verification in the gateway: the one place identity is checked. Backends
// trust only the x-mercato-user-id / x-mercato-user-role metadata the gateway sets from a
// verified token (NewClientContext copies them from CurrentCall()); nothing a client sends
// is forwarded as metadata.
//
//   AccessTokenVerifier verifier(config.jwt_secret, config.jwt_clock_skew);
//   auto identity = Authenticate(verifier, route.auth, request, now);
//   if (!identity.ok()) return UnauthorizedResponse(identity.status());      // 401
//   if (*identity) { call.user_id = (*identity)->user_id; ... }             // signed in
//
// A token is accepted only when all of these hold: the header's alg is exactly "HS256" (checked
// here before libjwt sees the token, so "none" and every other algorithm are refused), the
// libjwt-verified HMAC signature matches the shared key, iss is "mercato", aud is
// "mercato-api", sub is a UUID, role is "customer" or "admin", exp and iat (and nbf when
// present) are integers from 1970 to 2106 (checked before any arithmetic on them, so extreme
// values cannot overflow into a valid-looking lifetime), exp is in the future and iat and nbf
// are not (all give or take the clock-skew allowance), and 0 < exp - iat <= 15 minutes.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/http_types.h"
#include "gateway/router.h"

namespace mercato::gateway {

// Must match what the user service issues (services/user/access_token.h).
inline constexpr char kTokenIssuer[] = "mercato";
inline constexpr char kTokenAudience[] = "mercato-api";
inline constexpr std::chrono::seconds kMaxTokenLifetime{15 * 60};
// Longer "tokens" are refused without parsing.
inline constexpr size_t kMaxTokenBytes = 4096;

struct VerifiedToken {
  std::string user_id;
  std::string role;  // "customer" or "admin"
  std::chrono::system_clock::time_point expires_at;
};

class AccessTokenVerifier {
 public:
  AccessTokenVerifier(std::string secret, std::chrono::seconds clock_skew)
      : secret_(std::move(secret)), clock_skew_(clock_skew) {}

  // UNAUTHENTICATED with error code "token_expired" for an expired token and
  // "invalid_token" for anything else wrong with it.
  absl::StatusOr<VerifiedToken> Verify(absl::string_view token,
                                       std::chrono::system_clock::time_point now) const;

 private:
  std::string secret_;
  std::chrono::seconds clock_skew_;
};

// The token of an "Authorization: Bearer <token>" header; nullopt without an Authorization
// header; UNAUTHENTICATED "invalid_token" for another scheme or an empty token.
absl::StatusOr<std::optional<std::string>> BearerToken(const HttpRequest& request);

// Applies a route's policy: the verified caller, nullopt for an anonymous caller where that
// is allowed (kNone ignores the header altogether), or UNAUTHENTICATED
// ("authentication_required" without a token, see Verify() for a bad one).
absl::StatusOr<std::optional<VerifiedToken>> Authenticate(
    const AccessTokenVerifier& verifier, AuthPolicy policy, const HttpRequest& request,
    std::chrono::system_clock::time_point now);

// The JSON 401 for a failed Authenticate(), with the RFC 6750 WWW-Authenticate header.
HttpResponse UnauthorizedResponse(const absl::Status& status);

}  // namespace mercato::gateway
