// Random identifiers. Those that may guard something (entity ids, tokens) come from libsodium's
// CSPRNG, one kernel call each; correlation ids (request ids, trace and span ids) must only be
// unique, and come from a per-thread absl::BitGen, seeded from the OS once (a getrandom call
// per id was ~3 % of the gateway's CPU on a cached listing).
//
//   std::string id = mercato::NewUuid();        // "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13"
//   std::string token = mercato::RandomToken(32); // URL-safe base64 of 32 random bytes
#pragma once

#include <string>
#include <string_view>

namespace mercato {

// A random (version 4) UUID in canonical lower-case form.
std::string NewUuid();
// A version 4 UUID for correlation (X-Request-Id), not for anything that must be unguessable.
std::string NewRequestId();
// `bytes` correlation bytes as lower-case hex (trace and span ids), not for secrets.
std::string CorrelationHex(size_t bytes);
// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes as unpadded URL-safe base64.
std::string RandomToken(size_t bytes);
// Canonical UUID text (any version, lower or upper case hex)?
bool IsUuid(std::string_view text);

}  // namespace mercato
