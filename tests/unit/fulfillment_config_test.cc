// Fulfillment configuration from environment variables, and its contract with
// deploy/services.json (every variable read is listed there, and nothing more).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "fulfillment/config.h"
#include "support/identity.h"
#include "support/process.h"

namespace mercato::fulfillment {
namespace {

using std::chrono::milliseconds;

EnvReader EnvOf(std::map<std::string, std::string> vars) {
  vars.emplace("MERCATO_KAFKA_BROKERS", "127.0.0.1:59092");
  vars.emplace("MERCATO_DATABASE_URL", "postgresql://x/fulfillment");
  auto shared = std::make_shared<std::map<std::string, std::string>>(
      testing::WithTestKeys("fulfillment", std::move(vars)));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

TEST(FulfillmentConfigTest, Defaults) {
  EnvReader env = EnvOf({});
  auto c = LoadFulfillmentConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.grpc_port, 50056);
  EXPECT_EQ(c->server.admin_port, 9106);
  EXPECT_EQ(c->db_pool_size, 4);
  EXPECT_EQ(c->checkout_address, "127.0.0.1:50054");
  EXPECT_EQ(c->ship_delay, milliseconds(30000));
  EXPECT_EQ(c->delivery_delay, milliseconds(60000));
  EXPECT_EQ(c->poll_interval, milliseconds(200));
  EXPECT_EQ(c->carriers, (std::vector<std::string>{"Mercato Post", "Parcel Express"}));
  EXPECT_EQ(c->events.consumer.kafka.brokers, "127.0.0.1:59092");
  EXPECT_EQ(c->events.consumer.kafka.settings.at("fetch.wait.max.ms"), "20");
  EXPECT_TRUE(c->identity.service_key.has_value());
  EXPECT_TRUE(c->identity.callers.empty());
}

TEST(FulfillmentConfigTest, ReadsEverySetting) {
  EnvReader env = EnvOf({{"MERCATO_FULFILLMENT_SHIP_DELAY_MS", "0"},
                         {"MERCATO_FULFILLMENT_DELIVERY_DELAY_MS", "25"},
                         {"MERCATO_FULFILLMENT_CARRIERS", " DHL , ,UPS,"},
                         {"MERCATO_FULFILLMENT_POLL_MS", "10"},
                         {"MERCATO_CHECKOUT_ADDR", "checkout:1"},
                         {"MERCATO_CHECKOUT_RESILIENCE", "breaker=off"}});
  auto c = LoadFulfillmentConfig(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ship_delay, milliseconds(0));
  EXPECT_EQ(c->delivery_delay, milliseconds(25));
  EXPECT_EQ(c->carriers, (std::vector<std::string>{"DHL", "UPS"}));
  EXPECT_EQ(c->poll_interval, milliseconds(10));
  EXPECT_EQ(c->checkout_address, "checkout:1");
  EXPECT_FALSE(c->backends.at("checkout").breaker.enabled);
}

TEST(FulfillmentConfigTest, RefusesNoCarrierAndOutOfRangeValues) {
  for (const auto& [name, value] :
       std::map<std::string, std::string>{{"MERCATO_FULFILLMENT_CARRIERS", " , "},
                                          {"MERCATO_FULFILLMENT_POLL_MS", "5"},
                                          {"MERCATO_FULFILLMENT_SHIP_DELAY_MS", "-1"}}) {
    EnvReader env = EnvOf({{name, value}});
    auto c = LoadFulfillmentConfig(env);
    ASSERT_FALSE(c.ok()) << name;
    EXPECT_NE(std::string(c.status().message()).find(name), std::string::npos) << c.status();
  }
}

std::set<std::string> Documented() {
  std::ifstream in(testing::SourceDir() + "/deploy/services.json");
  nlohmann::json spec = nlohmann::json::parse(in);
  std::set<std::string> names;
  for (const auto& [name, d] : spec["services"]["fulfillment"]["env"].items()) names.insert(name);
  for (const auto& [name, d] : spec["common_grpc_env"].items()) names.insert(name);
  return names;
}

TEST(FulfillmentConfigTest, ReadsExactlyWhatIsDocumented) {
  EnvReader env([](const char*) -> const char* { return nullptr; });
  (void)LoadFulfillmentConfig(env);
  EXPECT_EQ(std::set<std::string>(env.names_read().begin(), env.names_read().end()), Documented());
}

}  // namespace
}  // namespace mercato::fulfillment
