// Compact JWS tokens with ES256: signed through libjwt, the signature checked with OpenSSL's
// ECDSA against a key parsed once (keys.h; libjwt would parse the key's PEM on every check, about
// a millisecond, four times the check itself), and the checks every Mercato token shares. The
// algorithm is fixed: a token whose header names any other ("none", or HS256 keyed with the
// public key's PEM, which libjwt's own verification accepts) is refused. Verification is split
// so that a verifier can refuse cheaply before the signature check:
//
//   auto claims = mercato::auth::ReadClaims(token, "access token");   // NOT verified yet
//   ... pick the key by claims["iss"], check audience and lifetime ...
//   if (auto s = mercato::auth::VerifySignature(token, key, "access token"); !s.ok()) ...
//
// Every refusal is UNAUTHENTICATED with the error code "invalid_token", or "token_expired"
// for a token past its exp; `what` names the kind of token in the message.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/keys.h"

namespace mercato::auth {

// Longer "tokens" are refused without parsing.
inline constexpr size_t kMaxTokenBytes = 4096;

// Signs `claims` (a JSON object) with ES256.
absl::StatusOr<std::string> SignEs256(const nlohmann::json& claims, const SigningKey& key);

// The claims of a well-formed token whose header says ES256 (and, if present, typ JWT and no
// crit) and whose signature part is 64 bytes of canonical base64url. Not verified: only for
// choosing the key and refusing early.
absl::StatusOr<nlohmann::json> ReadClaims(absl::string_view token, absl::string_view what);

// OK when `token`'s header says ES256 and its signature is by the private half of `key`.
absl::Status VerifySignature(absl::string_view token, const VerifyingKey& key,
                             absl::string_view what);

// The lifetime claims at `now`, allowing `skew` of clock difference: exp and iat (and nbf
// when present) integers from 1970 to 2106 (0..2^32-1 s, checked before any arithmetic on
// them, so extreme values cannot overflow into a valid-looking lifetime),
// 0 < exp - iat <= `max_lifetime`, iat and nbf not in the future, exp not passed
// ("token_expired"). After it passed, claims["exp"] is such an integer.
absl::Status CheckLifetime(const nlohmann::json& claims, std::chrono::system_clock::time_point now,
                           std::chrono::seconds skew, std::chrono::seconds max_lifetime,
                           absl::string_view what);

// The string claim `name`, or "" when it is absent or not a string.
std::string StringClaim(const nlohmann::json& claims, const char* name);

// UNAUTHENTICATED "invalid_token": "invalid <what>: <why>".
absl::Status InvalidToken(absl::string_view what, absl::string_view why);

}  // namespace mercato::auth
