// The circuit breaker's state machine (consecutive failures, slow calls, Hystrix's rolling
// rate) and the bulkhead, on a fake clock.
#include <gtest/gtest.h>

#include "rpc/circuit_breaker.h"

namespace mercato {
namespace {

using Admission = CircuitBreaker::Admission;
using Outcome = CircuitBreaker::Outcome;
using State = CircuitBreaker::State;
using std::chrono::milliseconds;

class BreakerTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now_ =
      std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  CircuitBreaker::Clock clock_ = [this] { return now_; };

  // The rolling rate alone (no consecutive-failure trigger), as in Hystrix.
  static BreakerOptions RateOnly() {
    BreakerOptions o;
    o.consecutive_failures = 0;
    return o;
  }

  // n calls, each admitted and finished with `outcome`.
  static void Run(CircuitBreaker& b, int n, Outcome outcome) {
    for (int i = 0; i < n; ++i) {
      Admission a = b.Admit();
      ASSERT_EQ(a, Admission::kAllowed);
      b.Record(a, outcome);
    }
  }
};

TEST_F(BreakerTest, StaysClosedBelowTheVolumeThresholdWhateverTheErrorRate) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 19, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_EQ(b.WindowCounts(), (std::pair<int64_t, int64_t>(19, 19)));
}

TEST_F(BreakerTest, OpensAtTheErrorThresholdOnceTheVolumeIsReached) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 10, Outcome::kSuccess);
  Run(b, 9, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);  // 19 calls
  Run(b, 1, Outcome::kSuccess);
  EXPECT_EQ(b.state(), State::kClosed);  // 20 calls, 45 % failed
  Run(b, 1, Outcome::kFailure);          // 21 calls, 10 failed: 47.6 %
  EXPECT_EQ(b.state(), State::kClosed);
  Admission a = b.Admit();
  b.Record(a, Outcome::kFailure);  // 22 calls, 11 failed: 50 %
  EXPECT_EQ(b.state(), State::kOpen);
}

TEST_F(BreakerTest, IgnoredOutcomesDoNotCount) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 30, Outcome::kIgnored);
  Run(b, 19, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
}

TEST_F(BreakerTest, OldOutcomesLeaveTheRollingWindow) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 15, Outcome::kFailure);
  now_ += milliseconds(10500);  // all 15 are older than the 10 s window now
  Run(b, 10, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_EQ(b.WindowCounts().first, 10);
  now_ += milliseconds(5000);  // the 10 stay
  Run(b, 10, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kOpen);
}

TEST_F(BreakerTest, OpenRejectsUntilTheSleepWindowThenLetsOneTrialThrough) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 20, Outcome::kFailure);
  ASSERT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(b.Admit(), Admission::kRejected);
  EXPECT_FALSE(b.WouldAdmit());
  EXPECT_EQ(b.RetryAfter(), milliseconds(5000));
  now_ += milliseconds(4999);
  EXPECT_EQ(b.Admit(), Admission::kRejected);
  EXPECT_EQ(b.RetryAfter(), milliseconds(1));
  now_ += milliseconds(1);
  EXPECT_TRUE(b.WouldAdmit());
  Admission trial = b.Admit();
  EXPECT_EQ(trial, Admission::kTrial);
  EXPECT_EQ(b.state(), State::kHalfOpen);
  // Only one trial at a time.
  EXPECT_EQ(b.Admit(), Admission::kRejected);
  EXPECT_FALSE(b.WouldAdmit());
  b.Record(trial, Outcome::kSuccess);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_EQ(b.WindowCounts().first, 0);
  EXPECT_EQ(b.Admit(), Admission::kAllowed);
}

TEST_F(BreakerTest, AFailedTrialOpensForAnotherSleepWindow) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 20, Outcome::kFailure);
  now_ += milliseconds(5000);
  Admission trial = b.Admit();
  ASSERT_EQ(trial, Admission::kTrial);
  now_ += milliseconds(300);
  b.Record(trial, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(b.RetryAfter(), milliseconds(5000));
  now_ += milliseconds(4999);
  EXPECT_EQ(b.Admit(), Admission::kRejected);
}

TEST_F(BreakerTest, AnIgnoredTrialLetsTheNextCallTry) {
  CircuitBreaker b(RateOnly(), clock_);
  Run(b, 20, Outcome::kFailure);
  now_ += milliseconds(5000);
  Admission trial = b.Admit();
  b.Record(trial, Outcome::kIgnored);
  EXPECT_EQ(b.state(), State::kHalfOpen);
  EXPECT_EQ(b.Admit(), Admission::kTrial);
}

TEST_F(BreakerTest, OutcomesOfCallsAdmittedBeforeItOpenedAreIgnored) {
  CircuitBreaker b(RateOnly(), clock_);
  Admission late = b.Admit();
  Run(b, 20, Outcome::kFailure);
  now_ += milliseconds(5000);
  Admission trial = b.Admit();
  b.Record(late, Outcome::kSuccess);  // must not close it
  EXPECT_EQ(b.state(), State::kHalfOpen);
  b.Record(trial, Outcome::kSuccess);
  EXPECT_EQ(b.state(), State::kClosed);
}

TEST_F(BreakerTest, OptionsApply) {
  BreakerOptions o = RateOnly();
  o.min_requests = 4;
  o.error_percent = 75;
  o.sleep_window = milliseconds(100);
  CircuitBreaker b(o, clock_);
  Run(b, 1, Outcome::kSuccess);
  Run(b, 2, Outcome::kFailure);
  Admission a = b.Admit();
  b.Record(a, Outcome::kFailure);  // 3 of 4 = 75 %
  EXPECT_EQ(b.state(), State::kOpen);
  now_ += milliseconds(100);
  EXPECT_EQ(b.Admit(), Admission::kTrial);
}

TEST_F(BreakerTest, DisabledAlwaysAdmits) {
  BreakerOptions o;
  o.enabled = false;
  CircuitBreaker b(o, clock_);
  Run(b, 100, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_TRUE(b.WouldAdmit());
}

TEST_F(BreakerTest, ReportsEveryStateChange) {
  CircuitBreaker b(RateOnly(), clock_);
  std::vector<State> seen;
  b.OnStateChange([&](State s) { seen.push_back(s); });
  Run(b, 20, Outcome::kFailure);
  now_ += milliseconds(5000);
  Admission trial = b.Admit();
  b.Record(trial, Outcome::kSuccess);
  EXPECT_EQ(seen, (std::vector<State>{State::kOpen, State::kHalfOpen, State::kClosed}));
}

// Issue 19: at a shopper's pace the rolling window never fills; a few failures in a row open
// the breaker whatever the volume.
TEST_F(BreakerTest, OpensAfterConsecutiveFailuresWhateverTheVolume) {
  CircuitBreaker b(BreakerOptions{}, clock_);
  Run(b, 2, Outcome::kFailure);
  Run(b, 1, Outcome::kSuccess);  // a success starts the count again
  Run(b, 2, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
  now_ += milliseconds(4000);  // slowly: one call every few seconds
  Run(b, 1, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(b.Admit(), Admission::kRejected);
}

TEST_F(BreakerTest, SlowAnswersCountLikeFailures) {
  CircuitBreaker b(BreakerOptions{}, clock_);
  Run(b, 1, Outcome::kSlow);
  Run(b, 1, Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kClosed);
  Run(b, 1, Outcome::kSlow);
  EXPECT_EQ(b.state(), State::kOpen);
  // A slow trial answer opens it again.
  now_ += milliseconds(5000);
  Admission trial = b.Admit();
  ASSERT_EQ(trial, Admission::kTrial);
  b.Record(trial, Outcome::kSlow);
  EXPECT_EQ(b.state(), State::kOpen);
  // ... and slow answers count towards the rolling rate too.
  CircuitBreaker rate(RateOnly(), clock_);
  Run(rate, 10, Outcome::kSuccess);
  Run(rate, 10, Outcome::kSlow);
  EXPECT_EQ(rate.state(), State::kOpen);
}

TEST(BulkheadTest, CapsConcurrentCalls) {
  Bulkhead b(2);
  EXPECT_TRUE(b.TryAcquire());
  EXPECT_TRUE(b.TryAcquire());
  EXPECT_FALSE(b.TryAcquire());
  EXPECT_EQ(b.in_flight(), 2);
  b.Release();
  EXPECT_TRUE(b.TryAcquire());
  Bulkhead unlimited(0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.TryAcquire());
}

}  // namespace
}  // namespace mercato
