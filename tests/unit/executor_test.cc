#include "common/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace mercato {
namespace {

TEST(BoundedExecutorTest, RunsEveryAcceptedTask) {
  std::atomic<int> ran{0};
  {
    BoundedExecutor executor("t", 4, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(executor.TrySubmit([&] { ++ran; }));
    executor.Shutdown();
  }
  EXPECT_EQ(ran.load(), 500);
}

TEST(BoundedExecutorTest, RefusesBeyondTheBoundAndRecovers) {
  BoundedExecutor executor("t", 1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  // One task runs (blocked), one waits: the bound of 2 is reached.
  ASSERT_TRUE(executor.TrySubmit([gate] { gate.wait(); }));
  ASSERT_TRUE(executor.TrySubmit([] {}));
  EXPECT_FALSE(executor.TrySubmit([] {}));
  EXPECT_EQ(executor.pending(), 2);
  release.set_value();
  executor.Shutdown();
  EXPECT_EQ(executor.pending(), 0);
  EXPECT_FALSE(executor.TrySubmit([] {}));  // after shutdown
}

}  // namespace
}  // namespace mercato
