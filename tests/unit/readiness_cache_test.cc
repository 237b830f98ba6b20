// Unit tests of ReadinessCache: /readyz's backend checks, reused for a period and refreshed by
// one caller at a time.
#include "gateway/readiness_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace mercato::gateway {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(ReadinessCacheTest, ReusesTheAnswerForTheTtlThenChecksAgain) {
  Clock::time_point now{};
  int checks = 0;
  ReadinessCache cache(
      milliseconds(1000),
      [&] {
        ++checks;
        return ReadinessCache::Result{{"catalog", checks == 1 ? "SERVING" : "UNAVAILABLE"}};
      },
      [&] { return now; });
  EXPECT_EQ(cache.Get().at("catalog"), "SERVING");
  now += milliseconds(999);
  EXPECT_EQ(cache.Get().at("catalog"), "SERVING");
  EXPECT_EQ(checks, 1);
  now += milliseconds(1);
  EXPECT_EQ(cache.Get().at("catalog"), "UNAVAILABLE");
  EXPECT_EQ(checks, 2);
}

TEST(ReadinessCacheTest, ZeroTtlChecksEveryTime) {
  int checks = 0;
  ReadinessCache cache(milliseconds(0), [&] {
    ++checks;
    return ReadinessCache::Result{};
  });
  cache.Get();
  cache.Get();
  EXPECT_EQ(checks, 2);
}

// While one caller checks, the others wait for it when there is no answer yet, and get the
// previous answer when there is one: never a second check in parallel.
TEST(ReadinessCacheTest, OneCheckAtATime) {
  Clock::time_point now{};
  std::atomic<int> checks{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ReadinessCache cache(
      milliseconds(1000),
      [&] {
        if (++checks == 2) {
          started.set_value();
          released.wait();
        }
        return ReadinessCache::Result{{"n", std::to_string(checks.load())}};
      },
      [&] { return now; });
  EXPECT_EQ(cache.Get().at("n"), "1");
  now += milliseconds(5000);  // expired
  std::thread refresher([&] { EXPECT_EQ(cache.Get().at("n"), "2"); });
  started.get_future().wait();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(cache.Get().at("n"), "1");  // stale, no wait
  release.set_value();
  refresher.join();
  EXPECT_EQ(cache.Get().at("n"), "2");
  EXPECT_EQ(checks, 2);
}

TEST(ReadinessCacheTest, CallersWithoutAnAnswerWaitForTheFirstCheck) {
  std::atomic<int> checks{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ReadinessCache cache(milliseconds(60000), [&] {
    ++checks;
    released.wait();
    return ReadinessCache::Result{{"catalog", "SERVING"}};
  });
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (cache.Get().at("catalog") == "SERVING") ++answered;
    });
  }
  while (checks == 0) std::this_thread::yield();
  release.set_value();
  for (auto& t : callers) t.join();
  EXPECT_EQ(answered, 8);
  EXPECT_EQ(checks, 1);
}

TEST(ReadinessCacheTest, AFailedCheckLetsTheNextCallerTry) {
  int checks = 0;
  ReadinessCache cache(milliseconds(1000), [&]() -> ReadinessCache::Result {
    if (++checks == 1) throw std::runtime_error("boom");
    return {{"catalog", "SERVING"}};
  });
  EXPECT_THROW(cache.Get(), std::runtime_error);
  EXPECT_EQ(cache.Get().at("catalog"), "SERVING");
}

}  // namespace
}  // namespace mercato::gateway
