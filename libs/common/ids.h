// Random identifiers from libsodium's CSPRNG.
//
//   std::string id = mercato::NewUuid();        // "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13"
//   std::string token = mercato::RandomToken(32); // URL-safe base64 of 32 random bytes
#pragma once

#include <string>
#include <string_view>

namespace mercato {

// A random (version 4) UUID in canonical lower-case form.
std::string NewUuid();
// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes as unpadded URL-safe base64.
std::string RandomToken(size_t bytes);
// Canonical UUID text (any version, lower or upper case hex)?
bool IsUuid(std::string_view text);

}  // namespace mercato
