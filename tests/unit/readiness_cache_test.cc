// Unit tests of ReadinessCache: /readyz's backend checks, reused for a period and refreshed by
// one caller at a time.
#include "gateway/readiness_cache.h"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

namespace mercato::gateway {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Result = ReadinessCache::Result;

// The answer of one Get when it came at once; nullopt while the caller waits for a check.
std::optional<Result> Get(ReadinessCache& cache) {
  std::optional<Result> answer;
  cache.Get([&](Result r) { answer = std::move(r); });
  return answer;
}

TEST(ReadinessCacheTest, ReusesTheAnswerForTheTtlThenChecksAgain) {
  Clock::time_point now{};
  int checks = 0;
  ReadinessCache cache(
      milliseconds(1000),
      [&](ReadinessCache::Done done) {
        ++checks;
        done(Result{{"catalog", checks == 1 ? "SERVING" : "UNAVAILABLE"}});
      },
      [&] { return now; });
  EXPECT_EQ(Get(cache)->at("catalog"), "SERVING");
  now += milliseconds(999);
  EXPECT_EQ(Get(cache)->at("catalog"), "SERVING");
  EXPECT_EQ(checks, 1);
  now += milliseconds(1);
  EXPECT_EQ(Get(cache)->at("catalog"), "UNAVAILABLE");
  EXPECT_EQ(checks, 2);
}

TEST(ReadinessCacheTest, ZeroTtlChecksEveryTime) {
  int checks = 0;
  ReadinessCache cache(milliseconds(0), [&](ReadinessCache::Done done) {
    ++checks;
    done(Result{});
  });
  Get(cache);
  Get(cache);
  EXPECT_EQ(checks, 2);
}

// While one caller checks, the others wait for it when there is no answer yet, and get the
// previous answer when there is one: never a second check in parallel.
TEST(ReadinessCacheTest, OneCheckAtATime) {
  Clock::time_point now{};
  int checks = 0;
  ReadinessCache::Done second_check;  // the check in progress, finished by the test
  ReadinessCache cache(
      milliseconds(1000),
      [&](ReadinessCache::Done done) {
        if (++checks == 2) {
          second_check = std::move(done);
          return;
        }
        done(Result{{"n", std::to_string(checks)}});
      },
      [&] { return now; });
  EXPECT_EQ(Get(cache)->at("n"), "1");
  now += milliseconds(5000);  // expired
  std::optional<Result> refreshed;
  cache.Get([&](Result r) { refreshed = std::move(r); });
  ASSERT_TRUE(second_check);
  EXPECT_FALSE(refreshed.has_value());  // waits for the check it started
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(cache)->at("n"), "1");  // stale, no wait
  second_check(Result{{"n", "2"}});
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_EQ(refreshed->at("n"), "2");
  EXPECT_EQ(Get(cache)->at("n"), "2");
  EXPECT_EQ(checks, 2);
}

TEST(ReadinessCacheTest, CallersWithoutAnAnswerWaitForTheFirstCheck) {
  int checks = 0;
  ReadinessCache::Done first_check;
  ReadinessCache cache(milliseconds(60000), [&](ReadinessCache::Done done) {
    ++checks;
    first_check = std::move(done);
  });
  int answered = 0;
  for (int i = 0; i < 8; ++i) {
    cache.Get([&](Result r) {
      if (r.at("catalog") == "SERVING") ++answered;
    });
  }
  EXPECT_EQ(answered, 0);
  ASSERT_TRUE(first_check);
  first_check(Result{{"catalog", "SERVING"}});
  EXPECT_EQ(answered, 8);
  EXPECT_EQ(checks, 1);
}

TEST(ReadinessCacheTest, AFailedCheckLetsTheNextCallerTry) {
  int checks = 0;
  ReadinessCache cache(milliseconds(1000), [&](ReadinessCache::Done done) {
    if (++checks == 1) throw std::runtime_error("boom");
    done(Result{{"catalog", "SERVING"}});
  });
  EXPECT_THROW(Get(cache), std::runtime_error);
  EXPECT_EQ(Get(cache)->at("catalog"), "SERVING");
}

}  // namespace
}  // namespace mercato::gateway
