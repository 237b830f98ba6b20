// Unit tests of the cart's rules (quantities, ids), its configuration and the Redis URL
// parser of libs/redis.
#include "cart/cart_rules.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cart/config.h"
#include "common/ids.h"
#include "common/status.h"
#include "redis/redis_client.h"
#include "support/identity.h"

namespace mercato::cart {
namespace {

TEST(CartRulesTest, RequestedQuantityMustBe1To99) {
  for (int64_t q : {1, 2, 50, 98, 99}) EXPECT_TRUE(CheckRequestedQuantity(q).ok()) << q;
  for (int64_t q : {0LL, -1LL, -99LL, 100LL, 1000LL, 1LL << 40}) {
    absl::Status s = CheckRequestedQuantity(q);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << q;
    EXPECT_EQ(ErrorCodeOf(s), "invalid_quantity") << q;
    EXPECT_EQ(s.message(), "quantity must be between 1 and 99");
  }
}

TEST(CartRulesTest, ProductIdMustBeNonEmptyAndShort) {
  EXPECT_TRUE(CheckProductId("906766e3-2fc8-5b37-973c-cf6e7898c8fd").ok());
  EXPECT_EQ(ErrorCodeOf(CheckProductId("")), "invalid_product_id");
  EXPECT_EQ(ErrorCodeOf(CheckProductId(std::string(65, 'a'))), "invalid_product_id");
  EXPECT_TRUE(CheckProductId(std::string(64, 'a')).ok());
}

TEST(CartRulesTest, GuestCartIds) {
  for (int i = 0; i < 100; ++i) {
    const std::string token = RandomToken(32);
    EXPECT_TRUE(IsValidGuestCartId(token)) << token;
  }
  EXPECT_TRUE(IsValidGuestCartId("abcdefghijklmnop"));  // 16
  EXPECT_TRUE(IsValidGuestCartId(std::string(128, 'Z')));
  EXPECT_FALSE(IsValidGuestCartId(""));
  EXPECT_FALSE(IsValidGuestCartId("abcdefghijklmno"));  // 15
  EXPECT_FALSE(IsValidGuestCartId(std::string(129, 'Z')));
  EXPECT_FALSE(IsValidGuestCartId("abcdefghijklmnop=="));
  EXPECT_FALSE(IsValidGuestCartId("abcdefgh ijklmnop"));
  EXPECT_FALSE(IsValidGuestCartId("abcdefgh:ijklmnop"));
  EXPECT_FALSE(IsValidGuestCartId("abcdefgh/ijklmnop"));
  EXPECT_FALSE(IsValidGuestCartId("abcdefgh+ijklmnop"));
  EXPECT_FALSE(IsValidGuestCartId(std::string("abcdefgh\0ijklmnop", 17)));
}

TEST(CartRulesTest, LimitsMatchTheApi) {
  EXPECT_EQ(kMaxQuantityPerLine, 99);
  EXPECT_EQ(kGuestCartTtl, std::chrono::seconds(7 * 24 * 3600));
}

TEST(RedisUrlTest, ParsesHostPortAndDatabase) {
  auto e = ParseRedisUrl("redis://cache.internal:6380/3");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3);
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "");

  e = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);

  e = ParseRedisUrl("redis://localhost:7000/");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->db, 0);
}

TEST(RedisUrlTest, ParsesCredentials) {
  auto e = ParseRedisUrl("redis://:s3cret@redis:6379/1");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->host, "redis");
  EXPECT_EQ(e->db, 1);

  e = ParseRedisUrl("redis://cart:p@ss@redis");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->username, "cart");
  EXPECT_EQ(e->password, "p@ss");
  EXPECT_EQ(e->host, "redis");
}

TEST(RedisUrlTest, RefusesMalformedUrlsWithoutEchoingThePassword) {
  for (const char* url :
       {"", "http://redis:6379", "redis://", "redis://:6379", "redis://redis:0",
        "redis://redis:65536", "redis://redis:port", "redis://redis:6379/x",
        "redis://redis:6379/-1", "redis://hunter2@redis:6379", "redis://red is:6379"}) {
    auto e = ParseRedisUrl(url);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(std::string(e.status().message()).find("hunter2"), std::string::npos);
  }
}

std::map<std::string, std::string> env_values;

absl::StatusOr<CartConfig> LoadFrom(std::map<std::string, std::string> values) {
  env_values = testing::WithTestKeys("cart", std::move(values));
  EnvReader env([](const char* name) -> const char* {
    auto it = env_values.find(name);
    return it == env_values.end() ? nullptr : it->second.c_str();
  });
  return LoadCartConfig(env);
}

TEST(CartConfigTest, Defaults) {
  auto c = LoadFrom({{"MERCATO_REDIS_URL", "redis://127.0.0.1:6379"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.grpc_port, 50052);
  EXPECT_EQ(c->server.admin_port, 9102);
  EXPECT_EQ(c->redis.endpoint.host, "127.0.0.1");
  EXPECT_EQ(c->redis.pool_size, 16);
  EXPECT_EQ(c->redis.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c->redis.command_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(c->catalog_address, "127.0.0.1:50051");
  EXPECT_EQ(c->empty_cart_currency, "USD");
}

TEST(CartConfigTest, ReadsEverySetting) {
  auto c = LoadFrom({{"MERCATO_REDIS_URL", "redis://r:6390/2"},
                     {"MERCATO_REDIS_POOL_SIZE", "4"},
                     {"MERCATO_REDIS_CONNECT_TIMEOUT_MS", "250"},
                     {"MERCATO_REDIS_COMMAND_TIMEOUT_MS", "800"},
                     {"MERCATO_CATALOG_ADDR", "catalog:50051"},
                     {"MERCATO_CART_CURRENCY", "EUR"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis.endpoint.port, 6390);
  EXPECT_EQ(c->redis.endpoint.db, 2);
  EXPECT_EQ(c->redis.pool_size, 4);
  EXPECT_EQ(c->redis.connect_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c->redis.command_timeout, std::chrono::milliseconds(800));
  EXPECT_EQ(c->catalog_address, "catalog:50051");
  EXPECT_EQ(c->empty_cart_currency, "EUR");
}

TEST(CartConfigTest, NamesEveryBadVariable) {
  auto c = LoadFrom({{"MERCATO_REDIS_URL", "redis://:topsecret@"},
                     {"MERCATO_REDIS_POOL_SIZE", "0"},
                     {"MERCATO_CART_CURRENCY", "usd"}});
  ASSERT_FALSE(c.ok());
  const std::string message(c.status().message());
  EXPECT_NE(message.find("MERCATO_REDIS_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("MERCATO_REDIS_POOL_SIZE"), std::string::npos) << message;
  EXPECT_NE(message.find("MERCATO_CART_CURRENCY"), std::string::npos) << message;
  EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;

  c = LoadFrom({});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("MERCATO_REDIS_URL is required"),
            std::string::npos);
}

TEST(CartConfigTest, ReadsExactlyTheVariablesListedInServicesJson) {
  std::ifstream in(std::string(MERCATO_SOURCE_DIR) + "/deploy/services.json");
  auto spec = nlohmann::json::parse(in);
  std::set<std::string> listed;
  for (const auto& [name, _] : spec["common_grpc_env"].items()) listed.insert(name);
  for (const auto& [name, description] : spec["services"]["cart"]["env"].items()) {
    listed.insert(name);
    EXPECT_FALSE(description.get<std::string>().empty()) << name;
  }
  env_values.clear();
  EnvReader env([](const char*) -> const char* { return nullptr; });
  (void)LoadCartConfig(env);
  const std::set<std::string> read(env.names_read().begin(), env.names_read().end());
  EXPECT_EQ(read, listed);
}

}  // namespace
}  // namespace mercato::cart
