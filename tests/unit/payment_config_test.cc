// Payment configuration from environment variables, and its contract with
// deploy/services.json (every variable read is listed there, and nothing more).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "payment/config.h"
#include "support/identity.h"

namespace mercato::payment {
namespace {

EnvReader EnvOf(std::map<std::string, std::string> vars) {
  vars.emplace("MERCATO_KAFKA_BROKERS", "127.0.0.1:59092");
  auto shared = std::make_shared<std::map<std::string, std::string>>(
      testing::WithTestKeys("payment", std::move(vars)));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

TEST(PaymentConfigTest, Defaults) {
  const std::string key(32, 'k');
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/payment"},
                         {"MERCATO_PAYMENT_FINGERPRINT_KEY", key}});
  auto c = LoadPaymentConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->database_url, "postgresql://x/payment");
  EXPECT_EQ(c->server.grpc_port, 50055);
  EXPECT_EQ(c->server.admin_port, 9105);
  EXPECT_EQ(c->db_pool_size, 8);
  EXPECT_EQ(c->max_amount, kDefaultMaxAmount);
  EXPECT_EQ(c->fingerprint_key, key);
  EXPECT_EQ(c->authorization_max_age, absl::Seconds(900));
}

TEST(PaymentConfigTest, RefusesToStartWithoutAFingerprintKey) {
  // Issue 15: there is no public default key any more; make run sets one of its own.
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/payment"}});
  auto c = LoadPaymentConfig(env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message())
                .find("MERCATO_PAYMENT_FINGERPRINT_KEY is required but not set"),
            std::string::npos)
      << c.status();
}

TEST(PaymentConfigTest, ReadsEverySetting) {
  const std::string key(48, 's');
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/payment"},
                         {"MERCATO_DB_POOL_SIZE", "3"},
                         {"MERCATO_PAYMENT_FINGERPRINT_KEY", key},
                         {"MERCATO_PAYMENT_MAX_AMOUNT", "5000"},
                         {"MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S", "60"},
                         {"MERCATO_GRPC_PORT", "6000"}});
  auto c = LoadPaymentConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->db_pool_size, 3);
  EXPECT_EQ(c->fingerprint_key, key);
  EXPECT_EQ(c->max_amount, 5000);
  EXPECT_EQ(c->authorization_max_age, absl::Seconds(60));
  EXPECT_EQ(c->server.grpc_port, 6000);
}

TEST(PaymentConfigTest, ReportsEveryProblemWithoutEchoingTheKey) {
  EnvReader env = EnvOf({{"MERCATO_PAYMENT_FINGERPRINT_KEY", "short-secret-value"},
                         {"MERCATO_PAYMENT_MAX_AMOUNT", "0"},
                         {"MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S", "0"}});
  auto c = LoadPaymentConfig(env);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(c.status().message());
  EXPECT_NE(message.find("MERCATO_DATABASE_URL is required"), std::string::npos) << message;
  EXPECT_NE(message.find("MERCATO_PAYMENT_FINGERPRINT_KEY must be at least 32 characters"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_PAYMENT_MAX_AMOUNT must be between 1 and"), std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S must be between 1 and 86400"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("short-secret-value"), std::string::npos) << message;
}

TEST(PaymentConfigTest, ReadsExactlyTheVariablesListedInServicesJson) {
  std::ifstream in(std::string(MERCATO_SOURCE_DIR) + "/deploy/services.json");
  auto spec = nlohmann::json::parse(in);
  std::set<std::string> listed;
  for (const auto& [name, _] : spec["common_grpc_env"].items()) listed.insert(name);
  for (const auto& [name, description] : spec["services"]["payment"]["env"].items()) {
    listed.insert(name);
    EXPECT_FALSE(description.get<std::string>().empty()) << name;
  }
  EnvReader env = EnvOf({});
  (void)LoadPaymentConfig(env);
  const std::set<std::string> read(env.names_read().begin(), env.names_read().end());
  EXPECT_EQ(read, listed);
}

}  // namespace
}  // namespace mercato::payment
