// Service identity: every call one Mercato service makes to another carries a short-lived ES256
// token the caller signs with its own private key (MERCATO_SERVICE_KEY):
//   {"iss": "<calling service>", "aud": "<called service>", "iat", "exp" (iat + 60 s), "jti"}
// The called service accepts it only from the services deploy/services.json says call it,
// checked with their public keys (MERCATO_<CALLER>_PUBLIC_KEY).
//
//   ServiceTokenMinter minter("cart", signing_key);
//   auto token = minter.TokenFor("catalog", now);      // the same token for 30 s
//
//   ServiceTokenVerifier verifier("catalog", {{"gateway", gateway_key}, {"cart", cart_key}});
//   absl::StatusOr<std::string> caller = verifier.Verify(token, now);   // "cart"
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/keys.h"
#include "auth/token_cache.h"

namespace mercato::auth {

inline constexpr std::chrono::seconds kServiceTokenLifetime{60};
// A token is reused until it has this much life left, then replaced: it never reaches a
// callee with less than half its lifetime.
inline constexpr std::chrono::seconds kServiceTokenRenewal{30};
// Clock difference tolerated between services.
inline constexpr std::chrono::seconds kServiceClockSkew{30};

class ServiceTokenMinter {
 public:
  ServiceTokenMinter(std::string service, SigningKey key)
      : service_(std::move(service)), key_(std::move(key)) {}

  // A token for calls to `audience`: minted when there is none with more than
  // kServiceTokenRenewal left at `now`, else the cached one. Thread-safe.
  absl::StatusOr<std::string> TokenFor(const std::string& audience,
                                       std::chrono::system_clock::time_point now);

  const std::string& service() const { return service_; }

 private:
  struct Minted {
    std::string token;
    std::chrono::system_clock::time_point renew_at;
  };

  const std::string service_;
  const SigningKey key_;
  std::mutex mu_;
  std::map<std::string, Minted> minted_;  // by audience
};

class ServiceTokenVerifier {
 public:
  // `callers`: the services allowed to call `service`, with their public keys.
  ServiceTokenVerifier(std::string service, std::map<std::string, VerifyingKey> callers);

  // The calling service. UNAUTHENTICATED ("invalid_token" / "token_expired") for a malformed,
  // wrongly signed or expired token, or one meant for another service; PERMISSION_DENIED for a
  // token naming a service that is not allowed to call this one (refused whatever its
  // signature: this service does not hold that service's key).
  absl::StatusOr<std::string> Verify(absl::string_view token,
                                     std::chrono::system_clock::time_point now) const;

  const std::string& service() const { return service_; }

 private:
  struct Verified {
    std::string caller;
    // Its exp plus the skew allowance: when it stops passing.
    std::chrono::system_clock::time_point valid_until;
  };
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token,
                                          std::chrono::system_clock::time_point now) const;

  std::string service_;
  std::map<std::string, VerifyingKey> callers_;
  std::shared_ptr<VerifiedTokenCache<std::string>> cache_;
};

}  // namespace mercato::auth
