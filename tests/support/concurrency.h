// Helpers for tests that make calls overlap on purpose.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace mercato::testing {

// Runs fn(0) .. fn(n - 1) on n threads released together once all of them have started, so
// that the calls really overlap; returns when every one has finished.
inline void RunConcurrently(int n, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      fn(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}

}  // namespace mercato::testing
