#include "support/identity.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "auth/jwt.h"
#include "auth/service_token.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "support/process.h"

namespace mercato::testing {
namespace {

using Clock = std::chrono::system_clock;

int64_t Seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A fresh P-256 private key as PEM, through OpenSSL.
std::string GeneratePem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(out);
  EVP_PKEY_free(key);
  return pem;
}

}  // namespace

const auth::SigningKey& TestKey(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, auth::SigningKey>* keys =
      new std::map<std::string, auth::SigningKey>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = keys->find(name);
  if (it == keys->end()) {
    auto key = auth::SigningKey::FromPem(GeneratePem());
    if (!key.ok()) throw std::runtime_error(std::string(key.status().message()));
    it = keys->emplace(name, *std::move(key)).first;
  }
  return it->second;
}

std::optional<std::string> KeyVariable(const std::string& service, const std::string& variable) {
  if (variable == "MERCATO_SERVICE_KEY") return TestKey(service).pem();
  if (variable == "MERCATO_ACCESS_TOKEN_KEY") return TestKey(kAccessTokenKeyName).pem();
  if (variable == "MERCATO_ACCESS_TOKEN_PUBLIC_KEY") {
    return TestKey(kAccessTokenKeyName).verifying_key().pem();
  }
  constexpr absl::string_view kPrefix = "MERCATO_", kSuffix = "_PUBLIC_KEY";
  if (absl::StartsWith(variable, kPrefix) && absl::EndsWith(variable, kSuffix)) {
    const std::string caller = absl::AsciiStrToLower(
        variable.substr(kPrefix.size(), variable.size() - kPrefix.size() - kSuffix.size()));
    return TestKey(caller).verifying_key().pem();
  }
  return std::nullopt;
}

std::map<std::string, std::string> WithTestKeys(const std::string& service,
                                                std::map<std::string, std::string> vars) {
  std::ifstream in(SourceDir() + "/deploy/services.json");
  const nlohmann::json spec = nlohmann::json::parse(in);
  for (const auto& [variable, description] : spec["services"][service]["env"].items()) {
    if (auto key = KeyVariable(service, variable)) vars.try_emplace(variable, *std::move(key));
  }
  return vars;
}

std::string SignedToken(const nlohmann::json& claims, const std::string& key_name) {
  auto token = auth::SignEs256(claims, TestKey(key_name));
  if (!token.ok()) throw std::runtime_error(std::string(token.status().message()));
  return *token;
}

std::string ServiceToken(const std::string& caller, const std::string& callee,
                         Clock::time_point issued_at) {
  nlohmann::json claims;
  claims["iss"] = caller;
  claims["aud"] = callee;
  claims["iat"] = Seconds(issued_at);
  claims["exp"] = Seconds(issued_at) + 60;
  claims["jti"] = NewUuid();
  return SignedToken(claims, caller);
}

std::string AccessToken(const std::string& user_id, const std::string& role,
                        Clock::time_point issued_at) {
  nlohmann::json claims;
  claims["iss"] = "mercato";
  claims["aud"] = "mercato-api";
  claims["sub"] = user_id;
  claims["role"] = role;
  claims["iat"] = Seconds(issued_at);
  claims["exp"] = Seconds(issued_at) + 900;
  claims["jti"] = NewUuid();
  return SignedToken(claims, kAccessTokenKeyName);
}

// `caller`'s token for `callee`, reused for 30 s as a real caller's is (auth/service_token.h):
// tests that make many calls do not sign each one.
std::string ReusedServiceToken(const std::string& caller, const std::string& callee) {
  static std::mutex mu;
  static auto* minters = new std::map<std::string, std::unique_ptr<auth::ServiceTokenMinter>>;
  auth::ServiceTokenMinter* minter;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = (*minters)[caller];
    if (!slot) slot = std::make_unique<auth::ServiceTokenMinter>(caller, TestKey(caller));
    minter = slot.get();
  }
  auto token = minter->TokenFor(callee, Clock::now());
  if (!token.ok()) throw std::runtime_error(std::string(token.status().message()));
  return *token;
}

std::unique_ptr<grpc::ClientContext> CallAs(const std::string& caller, const std::string& callee,
                                            const std::string& access_token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + std::chrono::seconds(10));
  if (!caller.empty()) ctx->AddMetadata(kServiceTokenKey, ReusedServiceToken(caller, callee));
  if (!access_token.empty()) ctx->AddMetadata(kAuthorizationKey, "Bearer " + access_token);
  return ctx;
}

}  // namespace mercato::testing
