#include "auth/identity_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mercato::auth {
namespace {

template <typename Key>
std::optional<Key> ReadKey(EnvReader& env, const std::string& name) {
  const std::string pem = env.RequiredSecret(name, 1);
  if (pem.empty()) return std::nullopt;  // recorded as missing
  auto key = Key::FromPem(pem);
  if (!key.ok()) {
    env.AddError(name, std::string(key.status().message()));
    return std::nullopt;
  }
  return *std::move(key);
}

}  // namespace

std::string PublicKeyVariable(const std::string& service) {
  return absl::StrCat("MERCATO_", absl::AsciiStrToUpper(service), "_PUBLIC_KEY");
}

std::optional<SigningKey> ReadSigningKey(EnvReader& env, const std::string& name) {
  return ReadKey<SigningKey>(env, name);
}

std::optional<VerifyingKey> ReadVerifyingKey(EnvReader& env, const std::string& name) {
  return ReadKey<VerifyingKey>(env, name);
}

IdentityConfig ReadIdentityConfig(EnvReader& env, const IdentitySpec& spec) {
  IdentityConfig c;
  if (spec.calls_others) c.service_key = ReadSigningKey(env, "MERCATO_SERVICE_KEY");
  for (const std::string& caller : spec.callers) {
    if (auto key = ReadVerifyingKey(env, PublicKeyVariable(caller))) {
      c.callers.emplace(caller, *std::move(key));
    }
  }
  if (spec.verifies_access_tokens) {
    c.access_token_key = ReadVerifyingKey(env, "MERCATO_ACCESS_TOKEN_PUBLIC_KEY");
  }
  return c;
}

}  // namespace mercato::auth
