#include "auth/access_token.h"

#include <nlohmann/json.hpp>

#include "auth/jwt.h"
#include "common/ids.h"

namespace mercato::auth {
namespace {

constexpr char kWhat[] = "access token";

bool HasAudience(const nlohmann::json& aud) {
  if (aud.is_string()) return aud.get<std::string>() == kAccessTokenAudience;
  if (!aud.is_array()) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get<std::string>() == kAccessTokenAudience) return true;
  }
  return false;
}

// Everything but the signature and the lifetime.
absl::Status CheckClaims(const nlohmann::json& claims) {
  if (StringClaim(claims, "iss") != kAccessTokenIssuer) return InvalidToken(kWhat, "wrong issuer");
  if (!claims.contains("aud") || !HasAudience(claims["aud"])) {
    return InvalidToken(kWhat, "wrong audience");
  }
  if (!IsUuid(StringClaim(claims, "sub"))) return InvalidToken(kWhat, "bad subject");
  const std::string role = StringClaim(claims, "role");
  if (role != "customer" && role != "admin") return InvalidToken(kWhat, "bad role");
  if (StringClaim(claims, "jti").empty()) return InvalidToken(kWhat, "no token id");
  return absl::OkStatus();
}

}  // namespace

AccessTokenVerifier::AccessTokenVerifier(VerifyingKey key, std::chrono::seconds clock_skew)
    : key_(std::move(key)),
      clock_skew_(clock_skew),
      cache_(std::make_shared<VerifiedTokenCache<VerifiedToken>>(kAccessTokenCacheSize)) {}

absl::StatusOr<VerifiedToken> AccessTokenVerifier::Verify(
    absl::string_view token, std::chrono::system_clock::time_point now) const {
  if (auto hit = cache_->Find(token, now)) return *std::move(hit);
  auto verified = VerifyUncached(token, now);
  if (verified.ok()) cache_->Insert(token, *verified, verified->expires_at + clock_skew_, now);
  return verified;
}

absl::StatusOr<VerifiedToken> AccessTokenVerifier::VerifyUncached(
    absl::string_view token, std::chrono::system_clock::time_point now) const {
  auto claims = ReadClaims(token, kWhat);
  if (!claims.ok()) return claims.status();
  if (absl::Status s = CheckClaims(*claims); !s.ok()) return s;
  if (absl::Status s = CheckLifetime(*claims, now, clock_skew_, kMaxAccessTokenLifetime, kWhat);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = VerifySignature(token, key_, kWhat); !s.ok()) return s;
  return VerifiedToken{.user_id = StringClaim(*claims, "sub"),
                       .role = StringClaim(*claims, "role"),
                       .expires_at = std::chrono::system_clock::time_point(
                           std::chrono::seconds((*claims)["exp"].get<int64_t>()))};
}

}  // namespace mercato::auth
