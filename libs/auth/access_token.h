// Shoppers' access tokens: ES256 JWTs that only the user service can sign (it alone holds the
// private key, MERCATO_ACCESS_TOKEN_KEY); the gateway and every backend that acts for a shopper
// verify them with the public key (MERCATO_ACCESS_TOKEN_PUBLIC_KEY).
//
//   AccessTokenVerifier verifier(public_key, std::chrono::seconds(30));
//   absl::StatusOr<VerifiedToken> who = verifier.Verify(token, now);
//
// A token is accepted only when all of these hold: the header's alg is exactly "ES256" (checked
// before libjwt sees the token), the signature matches the key, iss is "mercato", aud is (or
// contains) "mercato-api", sub is a UUID, role is "customer" or "admin", jti is set, exp and
// iat (and nbf when present) are integers from 1970 to 2106 (checked before any arithmetic on
// them, so extreme values cannot overflow into a valid-looking lifetime), exp is in the future
// and iat and nbf are not (all give or take the clock-skew allowance), and
// 0 < exp - iat <= 15 minutes. Verified tokens are remembered until they expire (token_cache.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/keys.h"
#include "auth/token_cache.h"

namespace mercato::auth {

inline constexpr char kAccessTokenIssuer[] = "mercato";
inline constexpr char kAccessTokenAudience[] = "mercato-api";
inline constexpr std::chrono::seconds kMaxAccessTokenLifetime{15 * 60};
// How many verified tokens a verifier remembers (a few hundred bytes each).
inline constexpr size_t kAccessTokenCacheSize = 4096;

struct VerifiedToken {
  std::string user_id;
  std::string role;  // "customer" or "admin"
  std::chrono::system_clock::time_point expires_at;
};

class AccessTokenVerifier {
 public:
  AccessTokenVerifier(VerifyingKey key, std::chrono::seconds clock_skew);

  // UNAUTHENTICATED with error code "token_expired" for an expired token and "invalid_token"
  // for anything else wrong with it.
  absl::StatusOr<VerifiedToken> Verify(absl::string_view token,
                                       std::chrono::system_clock::time_point now) const;

 private:
  absl::StatusOr<VerifiedToken> VerifyUncached(absl::string_view token,
                                               std::chrono::system_clock::time_point now) const;

  VerifyingKey key_;
  std::chrono::seconds clock_skew_;
  // Shared by copies of the verifier.
  std::shared_ptr<VerifiedTokenCache<VerifiedToken>> cache_;
};

}  // namespace mercato::auth
