// Every environment variable a service reads is documented in deploy/services.json, and every
// variable documented there is read: the two cannot drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "auth/identity_config.h"
#include "catalog/config.h"
#include "gateway/config.h"
#include "support/process.h"

namespace mercato {
namespace {

nlohmann::json Spec() {
  std::ifstream in(testing::SourceDir() + "/deploy/services.json");
  return nlohmann::json::parse(in);
}

std::set<std::string> Documented(const std::string& service) {
  nlohmann::json spec = Spec();
  std::set<std::string> names;
  const auto& svc = spec["services"][service];
  for (const auto& [name, description] : svc["env"].items()) names.insert(name);
  if (svc["kind"] == "grpc") {
    for (const auto& [name, description] : spec["common_grpc_env"].items()) names.insert(name);
  }
  return names;
}

// A reader that answers every lookup with nothing, recording what was asked.
template <typename Loader>
std::set<std::string> Read(Loader load) {
  EnvReader env([](const char*) -> const char* { return nullptr; });
  (void)load(env);
  return std::set<std::string>(env.names_read().begin(), env.names_read().end());
}

TEST(ConfigContractTest, CatalogReadsExactlyWhatIsDocumented) {
  EXPECT_EQ(Read([](EnvReader& e) { return catalog::LoadCatalogConfig(e); }),
            Documented("catalog"));
}

TEST(ConfigContractTest, GatewayReadsExactlyWhatIsDocumented) {
  EXPECT_EQ(Read([](EnvReader& e) { return gateway::LoadGatewayConfig(e); }),
            Documented("gateway"));
}

TEST(ConfigContractTest, EveryDocumentedVariableHasADescription) {
  nlohmann::json spec = Spec();
  for (const auto& [service, svc] : spec["services"].items()) {
    for (const auto& [name, description] : svc["env"].items()) {
      EXPECT_TRUE(description.is_string() && !description.get<std::string>().empty())
          << service << " " << name;
      EXPECT_EQ(name.rfind("MERCATO_", 0), 0u) << name;
    }
  }
}

// Who may call whom is deploy/services.json's "calls": a service reads the public key of
// exactly the services that call it, its own private key when it calls others, and every key
// comes from a Secret.
TEST(ConfigContractTest, KeyVariablesFollowTheCallsGraph) {
  nlohmann::json spec = Spec();
  const auto& services = spec["services"];
  for (const auto& [name, svc] : services.items()) {
    std::set<std::string> expected;
    for (const auto& [caller, other] : services.items()) {
      for (const auto& callee : other["calls"]) {
        if (callee == name) expected.insert(auth::PublicKeyVariable(caller));
      }
    }
    std::set<std::string> documented;
    for (const auto& [variable, description] : svc["env"].items()) {
      if (variable.ends_with("_PUBLIC_KEY") && variable != "MERCATO_ACCESS_TOKEN_PUBLIC_KEY") {
        documented.insert(variable);
      }
    }
    EXPECT_EQ(documented, expected) << name;
    EXPECT_EQ(svc["env"].contains("MERCATO_SERVICE_KEY"), !svc["calls"].empty()) << name;
    std::set<std::string> secrets(svc["secrets"].begin(), svc["secrets"].end());
    for (const auto& [variable, description] : svc["env"].items()) {
      if (variable.ends_with("_KEY") && variable.find("FINGERPRINT") == std::string::npos) {
        EXPECT_TRUE(secrets.count(variable)) << name << " " << variable;
      }
    }
  }
}

}  // namespace
}  // namespace mercato
