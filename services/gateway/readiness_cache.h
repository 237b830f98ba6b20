// The answer of the deep readiness check (/readyz), which asks every backend's health
// service. The route is public, so the answer is reused for `ttl` and computed by one request
// at a time (single flight): a flood of /readyz costs the backends one round of health checks
// per ttl. While one request refreshes an expired answer, the others get the previous answer
// rather than wait; only requests that find no answer at all wait for the first one. Nothing
// blocks: the check is asynchronous and a waiting request is a queued callback.
//
//   ReadinessCache cache(std::chrono::milliseconds(1000),
//                        [&](ReadinessCache::Done done) {
//                          CheckBackends(backends, timeout, std::move(done));
//                        });
//   cache.Get([](ReadinessCache::Result states) { ... });   // backend -> "SERVING", ...
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mercato::gateway {

class ReadinessCache {
 public:
  using Result = std::map<std::string, std::string>;
  using Done = std::function<void(Result)>;
  // Starts the checks and calls `done` with their result exactly once, from any thread (or
  // at once). May throw before it has started anything.
  using Check = std::function<void(Done)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `ttl` 0 checks on every call (still one at a time).
  ReadinessCache(
      std::chrono::milliseconds ttl, Check check,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Calls `done` with the answer exactly once: at once when there is one to give, else when
  // the check in progress (started by this call if none is) has finished. If the check this
  // call starts throws, Get throws and `done` is never called; callers already waiting wait
  // for the next check.
  void Get(Done done);

 private:
  // Runs the check (outside the lock); `done` gets its answer after Publish.
  void Refresh(Done done);
  // Stores a fresh answer and gives it to the callers that waited for it.
  void Publish(const Result& fresh);

  const std::chrono::milliseconds ttl_;
  const Check check_;
  const Clock clock_;
  absl::Mutex mu_;
  std::optional<Result> result_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point checked_at_ ABSL_GUARDED_BY(mu_);
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  // Callers without an answer, waiting for the check in progress.
  std::vector<Done> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mercato::gateway
