#include "common/memory_trim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace mercato {
namespace {

using std::chrono::milliseconds;

TEST(IdleTrimPolicyTest, TrimsOnTheFirstQuietPeriodAfterStartUp) {
  IdleTrimPolicy policy(milliseconds(200));
  EXPECT_TRUE(policy.TrimAfter(milliseconds(10)));
  EXPECT_FALSE(policy.TrimAfter(milliseconds(10)));
  EXPECT_FALSE(policy.TrimAfter(milliseconds(0)));
}

TEST(IdleTrimPolicyTest, TrimsOncePerQuietSpellAfterBusyPeriods) {
  IdleTrimPolicy policy(milliseconds(200));
  EXPECT_FALSE(policy.TrimAfter(milliseconds(900)));  // busy: no trim while working
  EXPECT_FALSE(policy.TrimAfter(milliseconds(200)));  // the threshold itself is busy
  EXPECT_TRUE(policy.TrimAfter(milliseconds(199)));   // quiet after busy: trim
  EXPECT_FALSE(policy.TrimAfter(milliseconds(50)));   // still the same quiet spell
  EXPECT_FALSE(policy.TrimAfter(milliseconds(1500)));
  EXPECT_FALSE(policy.TrimAfter(milliseconds(1500)));
  EXPECT_TRUE(policy.TrimAfter(milliseconds(0)));  // the next quiet spell
  EXPECT_FALSE(policy.TrimAfter(milliseconds(0)));
}

// A fake CPU clock the test advances; the trimmer's thread reads it.
class FakeCpu {
 public:
  std::chrono::nanoseconds Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Add(std::chrono::nanoseconds d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  std::chrono::nanoseconds now_ ABSL_GUARDED_BY(mu_){0};
};

bool WaitFor(const std::atomic<int>& value, int expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (value.load() < expected) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return value.load() == expected;
}

TEST(IdleTrimmerTest, TrimsWhenQuietAndReportsEachTrim) {
  FakeCpu cpu;
  std::atomic<int> trims{0};
  std::atomic<int> reports{0};
  IdleTrimmer trimmer({.period = milliseconds(5),
                       .quiet_cpu_share = 0.5,
                       .cpu_time = [&] { return cpu.Now(); },
                       .trim = [&] { ++trims; }},
                      [&](const TrimResult& result) {
                        EXPECT_GE(result.anonymous_kb_before, 0);
                        EXPECT_GE(result.anonymous_kb_after, 0);
                        ++reports;
                      });
  trimmer.Start();
  // The fake clock does not move: every period is quiet, and only the first one trims.
  ASSERT_TRUE(WaitFor(trims, 1));
  ASSERT_TRUE(WaitFor(reports, 1));
  // A busy period (far more CPU than 2.5 ms in 5 ms) re-arms it; the quiet one after trims.
  cpu.Add(std::chrono::seconds(1));
  ASSERT_TRUE(WaitFor(trims, 2));
  trimmer.Stop();
  EXPECT_EQ(trims.load(), 2);
  EXPECT_EQ(reports.load(), 2);
}

TEST(MemoryTrimTest, ProcessCpuTimeGrowsWithWork) {
  const std::chrono::nanoseconds before = ProcessCpuTime();
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < 20'000'000; ++i) sum = sum + i;
  EXPECT_GT(ProcessCpuTime(), before);
}

TEST(MemoryTrimTest, AnonymousResidentMemoryIsReadFromProc) {
  const int64_t before = AnonymousResidentKb();
  EXPECT_GT(before, 0);
  // 8 MB written page by page is resident and anonymous.
  std::vector<char> block(8 << 20, 1);
  asm volatile("" : : "g"(block.data()) : "memory");  // the allocation may not be elided
  EXPECT_GE(AnonymousResidentKb(), before + 7 * 1024);
}

}  // namespace
}  // namespace mercato
