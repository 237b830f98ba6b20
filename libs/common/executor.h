// A fixed pool of threads for blocking work (database queries, blocking RPCs) with a bound
// on how much may be running or waiting. When the bound is reached TrySubmit() refuses at
// once, so an overloaded service sheds load instead of queueing without limit.
//
//   mercato::BoundedExecutor pool("catalog", /*threads=*/16, /*max_pending=*/256);
//   if (!pool.TrySubmit([] { ... })) { /* answer RESOURCE_EXHAUSTED */ }
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mercato {

class BoundedExecutor {
 public:
  // `max_pending` counts tasks running plus waiting.
  BoundedExecutor(std::string name, int threads, int max_pending);
  ~BoundedExecutor();  // Shutdown()
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // False (and `task` is dropped) when saturated or shut down.
  bool TrySubmit(std::function<void()> task);
  // Runs every accepted task, then joins the threads. Later submissions are refused.
  void Shutdown();

  int pending() const;
  int max_pending() const { return max_pending_; }

 private:
  void Loop();

  const std::string name_;
  const int max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  int pending_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mercato
