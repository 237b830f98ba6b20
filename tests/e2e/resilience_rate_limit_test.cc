// Issue #8, test 4: the gateway's rate limits through the real gateway. Tests present
// several client addresses the way a deployment behind an ingress does: the gateway trusts
// 127.0.0.1 as a proxy (MERCATO_TRUSTED_PROXIES) and the test names the client in
// X-Forwarded-For.
// - one client at twice its limit for 10 s: the excess gets 429 rate_limited with Retry-After,
//   the accepted count is limit x time + burst (within 5 %), and a second client is unaffected;
// - the stricter sign-in (per address) and checkout (per user) limits, the per-user limit;
// - probes are never limited.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "resilience_support.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace resilience;

constexpr double kClientRate = 20;  // per second
constexpr double kClientBurst = 20;

class RateLimitE2eTest : public SuiteTest<RateLimitE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"gateway",
                     {{"MERCATO_RATE_LIMIT_CLIENT", "20/s:20"},
                      {"MERCATO_RATE_LIMIT_USER", "10/s:10"},
                      {"MERCATO_RATE_LIMIT_LOGIN", "3/m:3"},
                      {"MERCATO_RATE_LIMIT_CHECKOUT", "2/m:2"},
                      {"MERCATO_TRUSTED_PROXIES", "127.0.0.1"},
                      {"MERCATO_ACCESS_LOG", "false"}}}},
            .database_prefix = "resilience_rate_limit"};
  }

 protected:
 public:
  static int GatewayPort() { return port(); }

 protected:
  static HttpResult As(const std::string& client, const std::string& method,
                       const std::string& target, const std::string& body = "",
                       std::map<std::string, std::string> headers = {}) {
    headers["X-Forwarded-For"] = client;
    return Call(port(), method, target, body, headers);
  }
  static double Limited(const std::string& limit) {
    return MetricValue(suite_->admin_port("gateway"),
                       "mercato_gateway_rate_limited_total{limit=\"" + limit + "\"}");
  }
};

// Sends `rate` requests per second for `seconds`, evenly paced; returns (accepted, refused).
std::pair<int, int> Drive(const std::string& client, double rate, double seconds,
                          std::vector<HttpResult>* refusals = nullptr) {
  int accepted = 0, refused = 0;
  const auto start = SteadyClock::now();
  const int n = static_cast<int>(rate * seconds);
  for (int i = 0; i < n; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
    HttpResult r = Call(RateLimitE2eTest::GatewayPort(), "GET", "/api/v1/categories", "",
                        {{"X-Forwarded-For", client}});
    if (r.status == 200) {
      ++accepted;
    } else {
      ++refused;
      if (refusals && refusals->size() < 50) refusals->push_back(std::move(r));
      EXPECT_EQ(r.status, 429) << r.body;
    }
  }
  return {accepted, refused};
}

TEST_F(RateLimitE2eTest, AClientAtTwiceItsLimitGetsTheExcessRefusedAnotherIsUnaffected) {
  std::vector<HttpResult> refusals;
  std::pair<int, int> heavy, light;
  std::thread light_client([&] { light = Drive("198.51.100.11", 5, 10); });
  heavy = Drive("198.51.100.10", 2 * kClientRate, 10, &refusals);
  light_client.join();

  const double expected = kClientRate * 10 + kClientBurst;  // 220
  std::printf(
      "rate limit 20/s burst 20, 40 req/s for 10 s: %d accepted (expected %.0f), %d "
      "refused; the other client: %d accepted, %d refused\n",
      heavy.first, expected, heavy.second, light.first, light.second);
  EXPECT_NEAR(heavy.first, expected, expected * 0.05);
  EXPECT_EQ(heavy.first + heavy.second, 400);
  EXPECT_EQ(light.second, 0);
  EXPECT_EQ(light.first, 50);
  ASSERT_FALSE(refusals.empty());
  for (const auto& r : refusals) {
    EXPECT_EQ(ErrorCode(r), "rate_limited") << r.body;
    int retry_after = 0;
    EXPECT_TRUE(absl::SimpleAtoi(r.Header("retry-after"), &retry_after)) << r.body;
    EXPECT_EQ(retry_after, 1);
  }
  EXPECT_EQ(Limited("client"), heavy.second);
}

TEST_F(RateLimitE2eTest, SignInHasAStricterLimitPerAddress) {
  json body = json::object();
  body["email"] = "nobody-" + RandomHex(4) + "@example.com";
  body["password"] = "wrong password 123";
  for (int i = 0; i < 3; ++i) {
    HttpResult r = As("198.51.100.20", "POST", "/api/v1/sessions", body.dump());
    EXPECT_EQ(r.status, 401) << r.body;
  }
  HttpResult limited = As("198.51.100.20", "POST", "/api/v1/sessions", body.dump());
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  int retry_after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(limited.Header("retry-after"), &retry_after));
  EXPECT_GE(retry_after, 15);  // 3 per minute: a token every 20 s
  EXPECT_LE(retry_after, 20);
  // Another address, and other routes from the same address, are not affected.
  EXPECT_EQ(As("198.51.100.21", "POST", "/api/v1/sessions", body.dump()).status, 401);
  EXPECT_EQ(As("198.51.100.20", "GET", "/api/v1/categories").status, 200);
  EXPECT_GE(Limited("login"), 1);
}

TEST_F(RateLimitE2eTest, SignUpSharesTheSignInLimit) {
  auto sign_up = [](const std::string& client) {
    json body = json::object();
    body["email"] = "new-" + RandomHex(6) + "@example.com";
    body["password"] = "a long enough password";
    body["name"] = "New Shopper";
    return As(client, "POST", "/api/v1/users", body.dump());
  };
  json sign_in = json::object();
  sign_in["email"] = "nobody-" + RandomHex(4) + "@example.com";
  sign_in["password"] = "wrong password 123";
  EXPECT_EQ(sign_up("198.51.100.30").status, 201);
  EXPECT_EQ(sign_up("198.51.100.30").status, 201);
  EXPECT_EQ(As("198.51.100.30", "POST", "/api/v1/sessions", sign_in.dump()).status, 401);
  HttpResult limited = sign_up("198.51.100.30");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_EQ(sign_up("198.51.100.31").status, 201);
}

TEST_F(RateLimitE2eTest, CheckoutHasAStricterLimitPerUser) {
  Shopper a, b;
  auto checkout = [&](const Shopper& s, const std::string& client) {
    auto headers = s.Auth();
    headers["Idempotency-Key"] = NewUuid();
    return As(client, "POST", "/api/v1/checkout", "{}", headers);
  };
  // An empty body is refused (400) after the limit is checked, so nothing is ordered.
  EXPECT_EQ(checkout(a, "198.51.100.30").status, 400);
  EXPECT_EQ(checkout(a, "198.51.100.31").status, 400);
  HttpResult limited = checkout(a, "198.51.100.32");  // per user: a new address does not help
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_EQ(checkout(b, "198.51.100.30").status, 400);
  EXPECT_GE(Limited("checkout"), 1);
}

TEST_F(RateLimitE2eTest, ASignedInUserHasALimitOfItsOwn) {
  Shopper shopper;
  int ok = 0, limited = 0;
  for (int i = 0; i < 16; ++i) {
    // A different address each time: only the per-user bucket can refuse.
    HttpResult r =
        As(absl::StrCat("198.51.100.", 40 + i), "GET", "/api/v1/cart", "", shopper.Auth());
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited;
  }
  EXPECT_GE(ok, 10);
  EXPECT_LE(ok, 12);
  EXPECT_EQ(ok + limited, 16);
}

TEST_F(RateLimitE2eTest, ProbesAreNeverLimited) {
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(As("198.51.100.60", "GET", "/healthz").status, 200);
  }
}

}  // namespace
}  // namespace mercato::testing
