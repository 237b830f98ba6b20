// Unit tests of the checkout configuration: defaults, validation, and the contract with
// deploy/services.json (every variable read is documented there, and every one documented is
// read).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "checkout/config.h"
#include "support/identity.h"
#include "support/process.h"

namespace mercato::checkout {
namespace {

absl::StatusOr<CheckoutConfig> Load(std::map<std::string, std::string> vars,
                                    std::vector<std::string>* names = nullptr) {
  vars.emplace("MERCATO_KAFKA_BROKERS", "127.0.0.1:59092");
  vars = testing::WithTestKeys("checkout", std::move(vars));
  EnvReader env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
  auto config = LoadCheckoutConfig(env);
  if (names) *names = env.names_read();
  return config;
}

TEST(CheckoutConfigTest, RefusesToStartWithoutTheBroker) {
  auto c =
      Load({{"MERCATO_DATABASE_URL", "postgresql://db/checkout"}, {"MERCATO_KAFKA_BROKERS", ""}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("MERCATO_KAFKA_BROKERS"), absl::string_view::npos);
}

TEST(CheckoutConfigTest, Defaults) {
  auto c = Load({{"MERCATO_DATABASE_URL", "postgresql://db/checkout"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->database_url, "postgresql://db/checkout");
  EXPECT_EQ(c->server.grpc_port, 50054);
  EXPECT_EQ(c->server.admin_port, 9104);
  EXPECT_EQ(c->db_pool_size, 16);
  EXPECT_EQ(c->catalog_address, "127.0.0.1:50051");
  EXPECT_EQ(c->cart_address, "127.0.0.1:50052");
  EXPECT_EQ(c->payment_address, "127.0.0.1:50055");
  EXPECT_EQ(c->reservation_ttl, std::chrono::seconds(900));
  EXPECT_EQ(c->lease, std::chrono::milliseconds(30000));
  EXPECT_EQ(c->recovery_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(c->payment_grace, std::chrono::milliseconds(10000));
}

TEST(CheckoutConfigTest, ReadsEverySetting) {
  auto c = Load({{"MERCATO_DATABASE_URL", "postgresql://db/checkout"},
                 {"MERCATO_CATALOG_ADDR", "catalog:1"},
                 {"MERCATO_CART_ADDR", "cart:2"},
                 {"MERCATO_PAYMENT_ADDR", "payment:3"},
                 {"MERCATO_CHECKOUT_RESERVATION_TTL_S", "120"},
                 {"MERCATO_CHECKOUT_LEASE_MS", "5000"},
                 {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "250"},
                 {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "0"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->catalog_address, "catalog:1");
  EXPECT_EQ(c->cart_address, "cart:2");
  EXPECT_EQ(c->payment_address, "payment:3");
  EXPECT_EQ(c->reservation_ttl, std::chrono::seconds(120));
  EXPECT_EQ(c->lease, std::chrono::milliseconds(5000));
  EXPECT_EQ(c->recovery_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c->payment_grace, std::chrono::milliseconds(0));
}

TEST(CheckoutConfigTest, RefusesBadValuesNamingTheVariable) {
  auto missing = Load({});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("MERCATO_DATABASE_URL"), absl::string_view::npos);

  auto short_lease = Load({{"MERCATO_DATABASE_URL", "x"},
                           {"MERCATO_RPC_TIMEOUT_MS", "3000"},
                           {"MERCATO_CHECKOUT_LEASE_MS", "3000"}});
  EXPECT_NE(short_lease.status().message().find("MERCATO_CHECKOUT_LEASE_MS"),
            absl::string_view::npos)
      << short_lease.status();

  auto short_ttl = Load({{"MERCATO_DATABASE_URL", "x"},
                         {"MERCATO_CHECKOUT_LEASE_MS", "60000"},
                         {"MERCATO_CHECKOUT_RESERVATION_TTL_S", "60"}});
  EXPECT_NE(short_ttl.status().message().find("MERCATO_CHECKOUT_RESERVATION_TTL_S"),
            absl::string_view::npos)
      << short_ttl.status();

  auto too_long =
      Load({{"MERCATO_DATABASE_URL", "x"}, {"MERCATO_CHECKOUT_RESERVATION_TTL_S", "3601"}});
  EXPECT_FALSE(too_long.ok());
  auto not_a_number =
      Load({{"MERCATO_DATABASE_URL", "x"}, {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "soon"}});
  EXPECT_NE(not_a_number.status().message().find("MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS"),
            absl::string_view::npos);
}

TEST(CheckoutConfigTest, ReadsExactlyWhatServicesJsonDocuments) {
  std::ifstream in(testing::SourceDir() + "/deploy/services.json");
  nlohmann::json spec = nlohmann::json::parse(in);
  std::set<std::string> documented;
  for (const auto& [name, description] : spec["services"]["checkout"]["env"].items()) {
    documented.insert(name);
    EXPECT_FALSE(description.get<std::string>().empty()) << name;
  }
  for (const auto& [name, description] : spec["common_grpc_env"].items()) {
    documented.insert(name);
  }
  std::vector<std::string> names;
  (void)Load({}, &names);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), documented);
}

}  // namespace
}  // namespace mercato::checkout
