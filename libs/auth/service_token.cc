#include "auth/service_token.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/jwt.h"
#include "common/ids.h"

namespace mercato::auth {
namespace {

constexpr char kServiceTokenWhat[] = "service token";
// Callers x replicas x renewals in flight: a few dozen in practice.
constexpr size_t kCacheSize = 1024;

int64_t Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Service names are lower-case words; anything else is not echoed.
bool IsServiceName(const std::string& name) {
  return !name.empty() && name.size() <= 32 &&
         std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_islower(c); });
}

}  // namespace

absl::StatusOr<std::string> ServiceTokenMinter::TokenFor(
    const std::string& audience, std::chrono::system_clock::time_point now) {
  absl::MutexLock lock(&mu_);
  auto it = minted_.find(audience);
  if (it != minted_.end() && now < it->second.renew_at) return it->second.token;
  const int64_t iat = Seconds(now);
  nlohmann::json claims;
  claims["iss"] = service_;
  claims["aud"] = audience;
  claims["iat"] = iat;
  claims["exp"] = iat + kServiceTokenLifetime.count();
  claims["jti"] = NewUuid();
  auto token = SignEs256(claims, key_);
  if (!token.ok()) return token.status();
  const auto issued = std::chrono::system_clock::time_point(std::chrono::seconds(iat));
  minted_[audience] = {*token, issued + kServiceTokenLifetime - kServiceTokenRenewal};
  return *token;
}

ServiceTokenVerifier::ServiceTokenVerifier(std::string service,
                                           std::map<std::string, VerifyingKey> callers)
    : service_(std::move(service)),
      callers_(std::move(callers)),
      cache_(std::make_shared<VerifiedTokenCache<std::string>>(kCacheSize)) {}

absl::StatusOr<std::string> ServiceTokenVerifier::Verify(
    absl::string_view token, std::chrono::system_clock::time_point now) const {
  if (auto hit = cache_->Find(token, now)) return *std::move(hit);
  auto verified = VerifyUncached(token, now);
  if (!verified.ok()) return verified.status();
  cache_->Insert(token, verified->caller, verified->valid_until, now);
  return verified->caller;
}

absl::StatusOr<ServiceTokenVerifier::Verified> ServiceTokenVerifier::VerifyUncached(
    absl::string_view token, std::chrono::system_clock::time_point now) const {
  auto claims = ReadClaims(token, kServiceTokenWhat);
  if (!claims.ok()) return claims.status();
  const std::string caller = StringClaim(*claims, "iss");
  auto key = callers_.find(caller);
  if (key == callers_.end()) {
    if (!IsServiceName(caller)) return InvalidToken(kServiceTokenWhat, "unknown issuer");
    return absl::PermissionDeniedError(
        absl::StrCat("service '", caller, "' may not call ", service_));
  }
  if (StringClaim(*claims, "aud") != service_)
    return InvalidToken(kServiceTokenWhat, "wrong audience");
  if (StringClaim(*claims, "jti").empty()) return InvalidToken(kServiceTokenWhat, "no token id");
  if (absl::Status s =
          CheckLifetime(*claims, now, kServiceClockSkew, kServiceTokenLifetime, kServiceTokenWhat);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = VerifySignature(token, key->second, kServiceTokenWhat); !s.ok()) return s;
  const auto exp =
      std::chrono::system_clock::time_point(std::chrono::seconds((*claims)["exp"].get<int64_t>()));
  return Verified{.caller = caller, .valid_until = exp + kServiceClockSkew};
}

}  // namespace mercato::auth
