// A fixed pool of threads for blocking work (database queries, blocking RPCs) with a bound
// on how much may be running or waiting. When the bound is reached TrySubmit() refuses at
// once, so an overloaded service sheds load instead of queueing without limit.
//
//   mercato::BoundedExecutor pool("catalog", /*threads=*/16, /*max_pending=*/256);
//   if (!pool.TrySubmit([] { ... })) { /* answer RESOURCE_EXHAUSTED */ }
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

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
  mutable absl::Mutex mu_;
  // Signalled when a task is queued or the pool stops.
  absl::CondVar cv_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Started by the constructor, joined by Shutdown (whose caller is the only one to touch it
  // then): not guarded.
  std::vector<std::thread> threads_;
};

}  // namespace mercato
