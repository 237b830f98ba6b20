// Passwords and refresh tokens: the policy a new password must meet, argon2id hashing
// through libsodium, and opaque refresh tokens that are stored only as a hash.
//
//   if (absl::Status s = CheckPasswordPolicy(password, email); !s.ok()) return s;
//   absl::StatusOr<std::string> hash = HashPassword(password);   // "$argon2id$v=19$m=19456,..."
//   bool ok = VerifyPassword(*hash, password);
//
//   std::string token = NewRefreshToken();          // give to the client
//   std::string stored = RefreshTokenHash(token);   // keep only this
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mercato::user {

inline constexpr size_t kMinPasswordLength = 10;  // characters
// Longer input is refused before hashing, so a request cannot make us hash megabytes.
inline constexpr size_t kMaxPasswordBytes = 1024;

// argon2id with OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane (libsodium's only).
inline constexpr unsigned long long kPasswordHashPasses = 2;
inline constexpr size_t kPasswordHashMemoryBytes = 19 * 1024 * 1024;

// OK, or INVALID_ARGUMENT "weak_password": fewer than 10 characters, more than 1024 bytes,
// one of the built-in common passwords (compared case-insensitively), or the account's own
// email address.
absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view email);

// True when the password (compared lower-case) is in the built-in list of common ones.
bool IsCommonPassword(absl::string_view password);

// crypto_pwhash_str (argon2id) with the parameters above. INTERNAL when libsodium cannot
// allocate the memory.
absl::StatusOr<std::string> HashPassword(absl::string_view password);
// Constant-time check of a password against a stored hash; false for a malformed hash.
bool VerifyPassword(const std::string& hash, absl::string_view password);
// True when the stored hash was made with weaker (or different) parameters than today's.
bool PasswordNeedsRehash(const std::string& hash);
// Spends the time of one VerifyPassword() against a throw-away hash, so that a login for an
// unknown email takes as long as one with a wrong password.
void VerifyAgainstDummyHash(absl::string_view password);

// 32 random bytes from libsodium as unpadded URL-safe base64 (43 characters).
std::string NewRefreshToken();
// Plausible shape of a refresh token (length and alphabet), checked before any lookup.
bool LooksLikeRefreshToken(absl::string_view token);
// BLAKE2b-256 (crypto_generichash) of the token, lower-case hex: what the database keeps.
std::string RefreshTokenHash(absl::string_view token);
// BLAKE2b-256 hex of any text, e.g. the keys of the login throttle (so that an email typed
// by mistake into the password field never lands in a table in the clear).
std::string Blake2bHex(absl::string_view text);

}  // namespace mercato::user
