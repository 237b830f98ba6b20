// User service configuration from environment variables, and its contract with
// deploy/services.json (every variable read is listed there, and nothing more).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/identity.h"
#include "support/process.h"
#include "user/config.h"

namespace mercato::user {
namespace {

const auth::SigningKey& Key() { return testing::TestKey(testing::kAccessTokenKeyName); }
const std::string& kKey = Key().pem();
const std::string& kGatewayKey = testing::TestKey("gateway").verifying_key().pem();
const std::string& kNotificationKey = testing::TestKey("notification").verifying_key().pem();

EnvReader EnvOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

TEST(UserConfigTest, Defaults) {
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/users"},
                         {"MERCATO_ACCESS_TOKEN_KEY", kKey},
                         {"MERCATO_GATEWAY_PUBLIC_KEY", kGatewayKey},
                         {"MERCATO_NOTIFICATION_PUBLIC_KEY", kNotificationKey}});
  auto c = LoadUserConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.grpc_port, 50053);
  EXPECT_EQ(c->server.admin_port, 9103);
  EXPECT_EQ(c->db_pool_size, 8);
  EXPECT_EQ(c->access_token_key->pem(), kKey);
  // Its own tokens verify with the public half; the gateway and the notification service
  // (GetContact only, checked by UserService) may call it.
  EXPECT_EQ(*c->identity.access_token_key, Key().verifying_key());
  EXPECT_FALSE(c->identity.service_key.has_value());
  ASSERT_EQ(c->identity.callers.size(), 2u);
  EXPECT_EQ(c->identity.callers.count("gateway"), 1u);
  EXPECT_EQ(c->identity.callers.count("notification"), 1u);
  EXPECT_EQ(c->access_token_ttl, std::chrono::seconds(900));
  EXPECT_EQ(c->refresh_token_ttl, std::chrono::seconds(30 * 24 * 3600));
  EXPECT_TRUE(c->admin_email.empty());
  EXPECT_TRUE(c->admin_password.empty());
}

TEST(UserConfigTest, ReadsEverySetting) {
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/users"},
                         {"MERCATO_ACCESS_TOKEN_KEY", kKey},
                         {"MERCATO_GATEWAY_PUBLIC_KEY", kGatewayKey},
                         {"MERCATO_NOTIFICATION_PUBLIC_KEY", kNotificationKey},
                         {"MERCATO_DB_POOL_SIZE", "3"},
                         {"MERCATO_ACCESS_TOKEN_TTL_S", "300"},
                         {"MERCATO_REFRESH_TOKEN_TTL_S", "86400"},
                         {"MERCATO_ADMIN_EMAIL", "admin@mercato.local"},
                         {"MERCATO_ADMIN_PASSWORD", "mercato-admin"}});
  auto c = LoadUserConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->db_pool_size, 3);
  EXPECT_EQ(c->access_token_ttl, std::chrono::seconds(300));
  EXPECT_EQ(c->refresh_token_ttl, std::chrono::seconds(86400));
  EXPECT_EQ(c->admin_email, "admin@mercato.local");
  EXPECT_EQ(c->admin_password, "mercato-admin");
}

TEST(UserConfigTest, ReportsEveryProblemWithoutEchoingSecrets) {
  EnvReader env = EnvOf({{"MERCATO_ACCESS_TOKEN_KEY", "not-a-key-but-a-secret"},
                         {"MERCATO_ACCESS_TOKEN_TTL_S", "3600"},
                         {"MERCATO_ADMIN_PASSWORD", "lonely-admin-password"}});
  auto c = LoadUserConfig(env);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(c.status().message());
  EXPECT_NE(message.find("MERCATO_DATABASE_URL is required"), std::string::npos) << message;
  EXPECT_NE(message.find("MERCATO_ACCESS_TOKEN_KEY must be an unencrypted P-256 private key"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_GATEWAY_PUBLIC_KEY is required"), std::string::npos) << message;
  EXPECT_NE(message.find("MERCATO_NOTIFICATION_PUBLIC_KEY is required"), std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_ACCESS_TOKEN_TTL_S must be between 1 and 900"), std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_ADMIN_EMAIL must be set together"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-a-key-but-a-secret"), std::string::npos);
  EXPECT_EQ(message.find("lonely-admin-password"), std::string::npos);
}

TEST(UserConfigTest, AccessTokenKeyIsRequired) {
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/users"},
                         {"MERCATO_GATEWAY_PUBLIC_KEY", kGatewayKey},
                         {"MERCATO_NOTIFICATION_PUBLIC_KEY", kNotificationKey}});
  auto c = LoadUserConfig(env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("MERCATO_ACCESS_TOKEN_KEY is required"),
            std::string::npos);
}

TEST(UserConfigTest, ReadsExactlyWhatServicesJsonDocuments) {
  std::ifstream in(testing::SourceDir() + "/deploy/services.json");
  const nlohmann::json spec = nlohmann::json::parse(in);
  std::set<std::string> documented;
  for (const auto& [name, description] : spec["services"]["user"]["env"].items()) {
    documented.insert(name);
  }
  for (const auto& [name, description] : spec["common_grpc_env"].items()) {
    documented.insert(name);
  }
  EnvReader env([](const char*) -> const char* { return nullptr; });
  (void)LoadUserConfig(env);
  EXPECT_EQ(std::set<std::string>(env.names_read().begin(), env.names_read().end()), documented);
}

}  // namespace
}  // namespace mercato::user
