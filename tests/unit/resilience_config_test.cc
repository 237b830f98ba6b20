// Per-backend resilience settings from the environment, the gateway's rate-limit and
// trusted-proxy settings, and the retry policy's list of idempotent reads (checked against
// the services' generated descriptors, so a renamed method cannot silently stop being
// retried).
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/backend_policy.h"
#include "gateway/config.h"
#include "mercato/cart/v1/cart.pb.h"
#include "mercato/catalog/v1/catalog.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/payment/v1/payment.pb.h"
#include "mercato/user/v1/user.pb.h"
#include "rpc/resilience.h"
#include "support/identity.h"

namespace mercato {
namespace {

using std::chrono::milliseconds;

EnvReader Env(std::map<std::string, std::string> vars) {
  auto owned = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return EnvReader([owned](const char* name) -> const char* {
    auto it = owned->find(name);
    return it == owned->end() ? nullptr : it->second.c_str();
  });
}

TEST(BackendPolicyTest, DefaultsAreHystrixDefaults) {
  BackendPolicy p;
  EXPECT_TRUE(p.breaker.enabled);
  EXPECT_EQ(p.breaker.min_requests, 20);
  EXPECT_EQ(p.breaker.window, milliseconds(10000));
  EXPECT_EQ(p.breaker.error_percent, 50);
  EXPECT_EQ(p.breaker.sleep_window, milliseconds(5000));
  EXPECT_EQ(p.max_in_flight, 256);
  EXPECT_EQ(p.retry.max_attempts, 3);
}

TEST(BackendPolicyTest, SpecSetsEveryKey) {
  BackendPolicy p;
  ASSERT_TRUE(
      ApplyBackendPolicySpec(" breaker=off, breaker_min_requests=5,breaker_window_ms=2000,"
                             "breaker_error_percent=25,breaker_sleep_ms=700,max_in_flight=0,"
                             "retry_attempts=1,retry_backoff_ms=10,retry_max_backoff_ms=20",
                             p)
          .ok());
  EXPECT_FALSE(p.breaker.enabled);
  EXPECT_EQ(p.breaker.min_requests, 5);
  EXPECT_EQ(p.breaker.window, milliseconds(2000));
  EXPECT_EQ(p.breaker.error_percent, 25);
  EXPECT_EQ(p.breaker.sleep_window, milliseconds(700));
  EXPECT_EQ(p.max_in_flight, 0);
  EXPECT_EQ(p.retry.max_attempts, 1);
  EXPECT_EQ(p.retry.initial_backoff, milliseconds(10));
  EXPECT_EQ(p.retry.max_backoff, milliseconds(20));
}

TEST(BackendPolicyTest, BadSpecsAreRefusedNamingThePair) {
  for (const char* spec :
       {"nonsense", "breaker=maybe", "breaker_error_percent=0", "breaker_error_percent=101",
        "retry_attempts=6", "max_in_flight=-1", "unknown_key=1", "breaker_sleep_ms=abc"}) {
    BackendPolicy p;
    absl::Status s = ApplyBackendPolicySpec(spec, p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << spec;
  }
  BackendPolicy p;
  EXPECT_NE(ApplyBackendPolicySpec("retry_attempts=9", p).message().find("retry_attempts=9"),
            absl::string_view::npos);
}

TEST(BackendPolicyTest, PerBackendVariablesOverrideTheCommonOne) {
  EnvReader env = Env({{"MERCATO_RESILIENCE", "breaker_sleep_ms=2000,max_in_flight=64"},
                       {"MERCATO_PAYMENT_RESILIENCE", "max_in_flight=8"}});
  auto policies = ReadBackendPolicies(env, {"catalog", "payment"});
  ASSERT_TRUE(env.Finish().ok());
  EXPECT_EQ(policies["catalog"].breaker.sleep_window, milliseconds(2000));
  EXPECT_EQ(policies["catalog"].max_in_flight, 64);
  EXPECT_EQ(policies["payment"].breaker.sleep_window, milliseconds(2000));
  EXPECT_EQ(policies["payment"].max_in_flight, 8);
  EXPECT_EQ(env.names_read(),
            (std::vector<std::string>{"MERCATO_RESILIENCE", "MERCATO_CATALOG_RESILIENCE",
                                      "MERCATO_PAYMENT_RESILIENCE"}));
}

TEST(BackendPolicyTest, ErrorsNameTheVariable) {
  EnvReader env = Env({{"MERCATO_CART_RESILIENCE", "breaker=sometimes"}});
  (void)ReadBackendPolicies(env, {"cart"});
  absl::Status s = env.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("MERCATO_CART_RESILIENCE"), absl::string_view::npos) << s;
}

TEST(RetryPolicyTest, IdempotentReadsExistAndAreReads) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  // Link the generated code of every service so that the pool knows them.
  (void)catalog::v1::Product::descriptor();
  (void)cart::v1::Cart::descriptor();
  (void)user::v1::User::descriptor();
  (void)checkout::v1::Order::descriptor();
  (void)payment::v1::Payment::descriptor();
  EXPECT_EQ(AllIdempotentReads().size(), 5u);
  for (const auto& [backend, reads] : AllIdempotentReads()) {
    const auto* service = pool->FindServiceByName(reads.service);
    ASSERT_NE(service, nullptr) << backend << ": " << reads.service;
    for (const std::string& m : reads.methods) {
      EXPECT_NE(service->FindMethodByName(m), nullptr) << reads.service << "/" << m;
      EXPECT_TRUE(m.rfind("Get", 0) == 0 || m.rfind("List", 0) == 0 || m.rfind("BatchGet", 0) == 0)
          << m << " does not look like a read";
    }
  }
  // The writes that are idempotent by key are still never retried.
  for (const char* write : {"ReserveStock", "Authorize", "PlaceOrder", "AddItem", "Login"}) {
    for (const auto& [backend, reads] : AllIdempotentReads()) {
      EXPECT_EQ(std::count(reads.methods.begin(), reads.methods.end(), write), 0) << write;
    }
  }
}

TEST(RetryPolicyTest, ServiceConfigRetriesOnlyReadsOnlyOnUnavailable) {
  BackendPolicy policy;
  const std::string text = BackendServiceConfig(IdempotentReadsOf("catalog"), policy);
  nlohmann::json config = nlohmann::json::parse(text);
  ASSERT_EQ(config["methodConfig"].size(), 1u);
  const auto& mc = config["methodConfig"][0];
  EXPECT_EQ(mc["name"].size(), 4u);
  for (const auto& name : mc["name"]) {
    EXPECT_EQ(name["service"], "mercato.catalog.v1.CatalogService");
  }
  EXPECT_EQ(mc["retryPolicy"]["maxAttempts"], 3);
  EXPECT_EQ(mc["retryPolicy"]["initialBackoff"], "0.05s");
  EXPECT_EQ(mc["retryPolicy"]["maxBackoff"], "0.5s");
  EXPECT_EQ(mc["retryPolicy"]["retryableStatusCodes"], nlohmann::json::array({"UNAVAILABLE"}));
  EXPECT_EQ(config["retryThrottling"]["maxTokens"], 10);
  // Nothing to retry: no config at all.
  policy.retry.max_attempts = 1;
  EXPECT_EQ(BackendServiceConfig(IdempotentReadsOf("catalog"), policy), "");
  EXPECT_EQ(BackendServiceConfig(nullptr, BackendPolicy{}), "");
}

TEST(BackendPolicyTest, DeadlinesAndSlowCallsDefaultPerBackendAndAreConfigurable) {
  for (const char* backend : {"catalog", "cart", "user", "payment"}) {
    EXPECT_EQ(DefaultBackendPolicy(backend).deadline, milliseconds(2000)) << backend;
    EXPECT_EQ(DefaultBackendPolicy(backend).breaker.slow_call, milliseconds(1500)) << backend;
    EXPECT_EQ(DefaultBackendPolicy(backend).breaker.consecutive_failures, 3) << backend;
  }
  // The whole order: bounded by the caller's deadline only, never "slow".
  EXPECT_EQ(DefaultBackendPolicy("checkout").deadline, milliseconds(0));
  EXPECT_EQ(DefaultBackendPolicy("checkout").breaker.slow_call, milliseconds(0));
  EnvReader env = Env({{"MERCATO_RESILIENCE", "breaker_consecutive_failures=5"},
                       {"MERCATO_PAYMENT_RESILIENCE", "deadline_ms=800,breaker_slow_call_ms=400"}});
  auto policies = ReadBackendPolicies(env, {"catalog", "payment"});
  ASSERT_TRUE(env.Finish().ok());
  EXPECT_EQ(policies["catalog"].deadline, milliseconds(2000));
  EXPECT_EQ(policies["catalog"].breaker.consecutive_failures, 5);
  EXPECT_EQ(policies["payment"].deadline, milliseconds(800));
  EXPECT_EQ(policies["payment"].breaker.slow_call, milliseconds(400));
  EXPECT_EQ(policies["payment"].breaker.consecutive_failures, 5);
}

TEST(GatewayResilienceConfigTest, RateLimitsAndProxiesAreReadAndValidated) {
  EnvReader env = Env(testing::WithTestKeys(
      "gateway", {{"MERCATO_CART_COOKIE_KEY", "0123456789abcdef0123456789abcdef"},
                  {"MERCATO_RATE_LIMIT_CLIENT", "50/s:100"},
                  {"MERCATO_RATE_LIMIT_LOGIN", "10/m:5"},
                  {"MERCATO_TRUSTED_PROXIES", "10.0.0.0/8, ::1"},
                  {"MERCATO_CHECKOUT_RESILIENCE", "breaker_sleep_ms=1000"}}));
  auto config = gateway::LoadGatewayConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->rate_limit_client.rate_per_second, 50);
  EXPECT_DOUBLE_EQ(config->rate_limit_client.burst, 100);
  EXPECT_NEAR(config->rate_limit_login.rate_per_second, 10.0 / 60, 1e-9);
  EXPECT_DOUBLE_EQ(config->rate_limit_login.burst, 5);
  EXPECT_FALSE(config->rate_limit_user.enabled());
  EXPECT_FALSE(config->rate_limit_checkout.enabled());
  EXPECT_TRUE(config->trusted_proxies.Contains("10.20.30.40"));
  EXPECT_EQ(config->backends.at("checkout").breaker.sleep_window, milliseconds(1000));
  EXPECT_EQ(config->backends.at("catalog").breaker.sleep_window, milliseconds(5000));

  EnvReader bad =
      Env(testing::WithTestKeys("gateway", {{"MERCATO_RATE_LIMIT_USER", "fast"},
                                            {"MERCATO_TRUSTED_PROXIES", "10.0.0.0/33"}}));
  auto refused = gateway::LoadGatewayConfig(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("MERCATO_RATE_LIMIT_USER"), absl::string_view::npos);
  EXPECT_NE(refused.status().message().find("MERCATO_TRUSTED_PROXIES"), absl::string_view::npos);
}

}  // namespace
}  // namespace mercato
