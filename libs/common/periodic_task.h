// A background thread that runs one pass of some work at start-up and then every `interval`,
// until Stop(): the loop of every sweeper and recovery in the services.
//
//   PeriodicTask task("reservation expiry", interval, [this] { return SweepOnce().status(); });
//   task.Start();
//   ...
//   task.Stop();   // wakes the thread; a pass in progress finishes first
//
// A failed pass is logged with the task's name and the next one runs at the next interval.
// Long passes should check stopping() between batches, so that Stop() returns soon.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace mercato {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval,
               std::function<absl::Status()> pass);
  ~PeriodicTask();  // Stop()
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start();
  void Stop();
  bool stopping() const;

 private:
  void Run();

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<absl::Status()> pass_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mercato
