// The gateway's token buckets (on a fake clock) and the client address behind trusted proxies.
#include <gtest/gtest.h>

#include "common/status.h"
#include "gateway/client_address.h"
#include "gateway/json_codec.h"
#include "gateway/rate_limiter.h"

namespace mercato::gateway {
namespace {

using std::chrono::milliseconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point() +
                                               std::chrono::hours(1);
  RateLimiter::Clock clock_ = [this] { return now_; };
};

TEST(ParseRateLimitTest, Forms) {
  auto a = ParseRateLimit("20/s:40");
  ASSERT_TRUE(a.ok());
  EXPECT_DOUBLE_EQ(a->rate_per_second, 20);
  EXPECT_DOUBLE_EQ(a->burst, 40);
  auto b = ParseRateLimit("5/m");
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(b->rate_per_second, 5.0 / 60, 1e-12);
  EXPECT_DOUBLE_EQ(b->burst, 1);  // one second's worth, at least 1
  auto c = ParseRateLimit("7200/h");
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->rate_per_second, 2);
  EXPECT_DOUBLE_EQ(c->burst, 2);
  EXPECT_FALSE(ParseRateLimit("off")->enabled());
  EXPECT_FALSE(ParseRateLimit("")->enabled());
  for (const char* bad : {"20", "20/d", "x/s", "0/s", "-1/s", "20/s:0", "20/s:x", "1/s:2:3"}) {
    EXPECT_FALSE(ParseRateLimit(bad).ok()) << bad;
  }
}

TEST_F(RateLimiterTest, BurstThenRefillRate) {
  RateLimiter limiter({.rate_per_second = 10, .burst = 5}, 1000, clock_);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take("a").allowed) << i;
  auto refused = limiter.Take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  now_ += milliseconds(100);  // one token back
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_FALSE(limiter.Take("a").allowed);
  // Another key has its own bucket.
  EXPECT_TRUE(limiter.Take("b").allowed);
}

TEST_F(RateLimiterTest, AcceptsRateTimesTimePlusBurst) {
  RateLimiter limiter({.rate_per_second = 20, .burst = 20}, 1000, clock_);
  int accepted = 0;
  // Twice the rate for 10 s.
  for (int i = 0; i < 400; ++i) {
    if (limiter.Take("client").allowed) ++accepted;
    now_ += milliseconds(25);
  }
  EXPECT_NEAR(accepted, 20 * 10 + 20, 1);
}

TEST_F(RateLimiterTest, RetryAfterIsTheWaitForOneToken) {
  RateLimiter limiter({.rate_per_second = 1.0 / 60, .burst = 1}, 1000, clock_);
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_EQ(limiter.Take("a").retry_after_seconds, 60);
  now_ += std::chrono::seconds(30);
  EXPECT_EQ(limiter.Take("a").retry_after_seconds, 30);
}

TEST_F(RateLimiterTest, IdleBucketsAreEvictedSoMemoryStaysBounded) {
  RateLimiter limiter({.rate_per_second = 10, .burst = 10}, 1600, clock_);
  for (int i = 0; i < 1000; ++i) limiter.Take("client-" + std::to_string(i));
  EXPECT_EQ(limiter.size(), 1000u);
  now_ += std::chrono::seconds(1);  // every bucket is full again
  for (int i = 0; i < 1000; ++i) limiter.Take("later-" + std::to_string(i));
  EXPECT_LT(limiter.size(), 1200u);  // the idle ones were swept as the shards grew
  EXPECT_EQ(limiter.overflowed(), 0u);
}

TEST_F(RateLimiterTest, AFullTableLetsNewKeysThroughWithoutGrowing) {
  RateLimiter limiter({.rate_per_second = 1, .burst = 1}, 160, clock_);  // 10 per shard
  for (int i = 0; i < 1000; ++i) limiter.Take("k" + std::to_string(i));
  EXPECT_LE(limiter.size(), 160u);
  EXPECT_GT(limiter.overflowed(), 0u);
  // Keys already held are still limited.
  size_t limited = 0;
  for (int i = 0; i < 1000; ++i) {
    if (!limiter.Take("k" + std::to_string(i)).allowed) ++limited;
  }
  EXPECT_EQ(limited, limiter.size());
}

TEST_F(RateLimiterTest, DisabledLimiterAllowsEverything) {
  RateLimiter limiter(RateLimit{}, 10, clock_);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(TrustedProxiesTest, ParsesAddressesAndBlocks) {
  auto p = TrustedProxies::Parse("10.0.0.0/8, 192.168.1.7, fd00::/8, ::1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Contains("10.255.0.1"));
  EXPECT_TRUE(p->Contains("192.168.1.7"));
  EXPECT_FALSE(p->Contains("192.168.1.8"));
  EXPECT_FALSE(p->Contains("11.0.0.1"));
  EXPECT_TRUE(p->Contains("fd12::1"));
  EXPECT_TRUE(p->Contains("::1"));
  EXPECT_TRUE(p->Contains("::ffff:10.1.1.1"));  // IPv4-mapped peer of a dual-stack socket
  EXPECT_FALSE(p->Contains("not an address"));
  EXPECT_TRUE(TrustedProxies::Parse("")->empty());
  for (const char* bad : {"10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"}) {
    EXPECT_FALSE(TrustedProxies::Parse(bad).ok()) << bad;
  }
}

TEST(TrustedProxiesTest, ClientAddressBelievesOnlyTrustedPeers) {
  auto p = *TrustedProxies::Parse("10.0.0.0/8");
  // No proxies configured: always the peer.
  EXPECT_EQ(TrustedProxies().ClientAddress("10.1.1.1", "1.2.3.4"), "10.1.1.1");
  // An untrusted peer's header is ignored.
  EXPECT_EQ(p.ClientAddress("203.0.113.5", "1.2.3.4"), "203.0.113.5");
  // A trusted peer: the rightmost untrusted hop.
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.2.2.2"), "198.51.100.7");
  // Ports and brackets are dropped; IPv6 is fine.
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "198.51.100.7:4711"), "198.51.100.7");
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "[2001:db8::1]:443"), "2001:db8::1");
  // Only proxies in the chain: the leftmost.
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "10.3.3.3, 10.2.2.2"), "10.3.3.3");
  // A malformed hop ends the walk at the last good one.
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "198.51.100.7, garbage, 10.2.2.2"), "10.2.2.2");
  EXPECT_EQ(p.ClientAddress("10.1.1.1", "garbage"), "10.1.1.1");
  // No header from a trusted peer: the peer.
  EXPECT_EQ(p.ClientAddress("10.1.1.1", ""), "10.1.1.1");
  // IPv4-mapped peers are shown as IPv4.
  EXPECT_EQ(TrustedProxies().ClientAddress("::ffff:203.0.113.5", ""), "203.0.113.5");
}

TEST(OverloadResponseTest, ABackendSheddingLoadIs503NotTheCallers429) {
  // RunBlocking's refusal, as relayed by a client (the default code attached).
  HttpResponse shed = ErrorResponse(WithErrorCode(
      absl::ResourceExhaustedError("server overloaded: too many calls in flight"),
      "resource_exhausted"));
  EXPECT_EQ(shed.status, 503u);
  EXPECT_EQ(Json::parse(shed.body)["error"]["code"], "overloaded");
  bool retry_after = false;
  for (const auto& [k, v] : shed.headers) retry_after |= k == "Retry-After" && v == "1";
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(ErrorResponse(absl::ResourceExhaustedError("x")).status, 503u);
  // A limit of the caller's own stays 429.
  EXPECT_EQ(ErrorResponse(ErrorWithCode(absl::StatusCode::kResourceExhausted, "too_many_attempts",
                                        "wait", 3))
                .status,
            429u);
}

}  // namespace
}  // namespace mercato::gateway
