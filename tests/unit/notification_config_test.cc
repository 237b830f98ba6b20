// Notification configuration from environment variables, and its contract with
// deploy/services.json (every variable read is listed there, and nothing more).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "notification/config.h"
#include "support/identity.h"

namespace mercato::notification {
namespace {

using namespace std::chrono_literals;

EnvReader EnvOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(
      testing::WithTestKeys("notification", std::move(vars)));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

const std::map<std::string, std::string> kRequired = {
    {"MERCATO_DATABASE_URL", "postgresql://mercato@127.0.0.1/notification"},
    {"MERCATO_KAFKA_BROKERS", "127.0.0.1:59092"},
    {"MERCATO_SMTP_URL", "smtp://127.0.0.1:2525"}};

TEST(NotificationConfigTest, Defaults) {
  EnvReader env = EnvOf(kRequired);
  auto c = LoadNotificationConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.grpc_port, 50057);
  EXPECT_EQ(c->server.admin_port, 9107);
  EXPECT_EQ(c->db_pool_size, 4);
  EXPECT_EQ(c->user_address, "127.0.0.1:50053");
  EXPECT_EQ(c->smtp.url, "smtp://127.0.0.1:2525");
  EXPECT_EQ(c->smtp.username, "");
  EXPECT_EQ(c->smtp.from, "orders@mercato.local");
  EXPECT_EQ(c->smtp.timeout, 10000ms);
  EXPECT_EQ(c->shop_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->send_interval, 200ms);
  EXPECT_EQ(c->retention, std::chrono::hours(168));
  EXPECT_EQ(c->consumer.kafka.brokers, "127.0.0.1:59092");
  EXPECT_EQ(c->consumer.max_attempts, 5);
  EXPECT_TRUE(c->identity.service_key.has_value());
  EXPECT_TRUE(c->identity.callers.empty());
}

TEST(NotificationConfigTest, ReadsEverySetting) {
  auto vars = kRequired;
  vars.insert({{"MERCATO_SMTP_URL", "smtps://mail.example:465"},
               {"MERCATO_SMTP_USERNAME", "mercato"},
               {"MERCATO_SMTP_PASSWORD", "secret-password"},
               {"MERCATO_SMTP_FROM", "shop@example.com"},
               {"MERCATO_SMTP_TIMEOUT_MS", "2500"},
               {"MERCATO_SHOP_URL", "https://shop.example/"},
               {"MERCATO_NOTIFICATION_SEND_INTERVAL_MS", "50"},
               {"MERCATO_OUTBOX_RETENTION_HOURS", "24"},
               {"MERCATO_EVENTS_MAX_ATTEMPTS", "7"},
               {"MERCATO_USER_ADDR", "user:50053"}});
  vars["MERCATO_SMTP_URL"] = "smtps://mail.example:465";
  EnvReader env = EnvOf(vars);
  auto c = LoadNotificationConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->smtp.url, "smtps://mail.example:465");
  EXPECT_EQ(c->smtp.username, "mercato");
  EXPECT_EQ(c->smtp.password, "secret-password");
  EXPECT_EQ(c->smtp.from, "shop@example.com");
  EXPECT_EQ(c->smtp.timeout, 2500ms);
  EXPECT_EQ(c->shop_url, "https://shop.example");
  EXPECT_EQ(c->send_interval, 50ms);
  EXPECT_EQ(c->retention, std::chrono::hours(24));
  EXPECT_EQ(c->consumer.inbox_retention, std::chrono::hours(24));
  EXPECT_EQ(c->consumer.max_attempts, 7);
  EXPECT_EQ(c->user_address, "user:50053");
}

TEST(NotificationConfigTest, ReportsEveryProblemNamingTheVariable) {
  EnvReader env = EnvOf({{"MERCATO_DATABASE_URL", "postgresql://x/notification"},
                         {"MERCATO_SMTP_URL", "http://mail.example"},
                         {"MERCATO_SMTP_FROM", "Mercato <orders@mercato.local>"},
                         {"MERCATO_SMTP_PASSWORD", "secret-password"},
                         {"MERCATO_NOTIFICATION_SEND_INTERVAL_MS", "5"}});
  auto c = LoadNotificationConfig(env);
  ASSERT_FALSE(c.ok());
  const std::string message(c.status().message());
  for (const char* name : {"MERCATO_KAFKA_BROKERS", "MERCATO_SMTP_URL", "MERCATO_SMTP_FROM",
                           "MERCATO_NOTIFICATION_SEND_INTERVAL_MS"}) {
    EXPECT_NE(message.find(name), std::string::npos) << name << ": " << message;
  }
  EXPECT_EQ(message.find("secret-password"), std::string::npos) << message;
}

TEST(NotificationConfigTest, ReadsExactlyTheVariablesListedInServicesJson) {
  std::ifstream in(std::string(MERCATO_SOURCE_DIR) + "/deploy/services.json");
  auto spec = nlohmann::json::parse(in);
  std::set<std::string> listed;
  for (const auto& [name, _] : spec["common_grpc_env"].items()) listed.insert(name);
  for (const auto& [name, _] : spec["services"]["notification"]["env"].items()) {
    listed.insert(name);
  }
  EnvReader env = EnvOf({});
  (void)LoadNotificationConfig(env);
  const std::set<std::string> read(env.names_read().begin(), env.names_read().end());
  EXPECT_EQ(read, listed);
}

}  // namespace
}  // namespace mercato::notification
