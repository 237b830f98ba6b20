// The keys a service reads at start-up to prove who it is and to check who calls it. Which
// variables a service reads follows deploy/services.json:
//   MERCATO_SERVICE_KEY              its own private key, if it calls other services
//   MERCATO_<CALLER>_PUBLIC_KEY      the public key of each service whose "calls" lists it
//   MERCATO_ACCESS_TOKEN_PUBLIC_KEY  the user service's access-token key, if it acts for shoppers
// Each is required: a missing or malformed key stops the process with a message naming the
// variable (never its value).
//
//   auth::IdentityConfig identity = auth::ReadIdentityConfig(
//       env, {.callers = {"gateway", "checkout"}, .calls_others = true,
//             .verifies_access_tokens = true});
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/keys.h"
#include "common/config.h"

namespace mercato::auth {

struct IdentitySpec {
  // The services allowed to call this one (their "calls" in deploy/services.json list it).
  std::vector<std::string> callers;
  // Whether it calls other services (and so needs its own key).
  bool calls_others = false;
  // Whether it acts for shoppers (and so verifies their access tokens).
  bool verifies_access_tokens = false;
};

struct IdentityConfig {
  std::optional<SigningKey> service_key;
  std::map<std::string, VerifyingKey> callers;
  std::optional<VerifyingKey> access_token_key;
};

// "MERCATO_<SERVICE>_PUBLIC_KEY".
std::string PublicKeyVariable(const std::string& service);

IdentityConfig ReadIdentityConfig(EnvReader& env, const IdentitySpec& spec);

// A required key variable, parsed; a problem is recorded in `env` (naming the variable).
std::optional<SigningKey> ReadSigningKey(EnvReader& env, const std::string& name);
std::optional<VerifyingKey> ReadVerifyingKey(EnvReader& env, const std::string& name);

}  // namespace mercato::auth
