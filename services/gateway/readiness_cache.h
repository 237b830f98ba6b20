// The answer of the deep readiness check (/readyz), which asks every backend's health
// service. The route is public, so the answer is reused for `ttl` and computed by one request
// at a time (single flight): a flood of /readyz costs the backends one round of health checks
// per ttl. While one request refreshes an expired answer, the others get the previous answer
// rather than wait; only requests that find no answer at all wait for the first one.
//
//   ReadinessCache cache(std::chrono::milliseconds(1000),
//                        [&] { return CheckBackends(backends, timeout); });
//   std::map<std::string, std::string> states = cache.Get();   // backend -> "SERVING", ...
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace mercato::gateway {

class ReadinessCache {
 public:
  using Result = std::map<std::string, std::string>;
  using Check = std::function<Result()>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `ttl` 0 checks on every call (still one at a time).
  ReadinessCache(
      std::chrono::milliseconds ttl, Check check,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  Result Get();

 private:
  // Runs the check outside the lock and publishes its answer.
  Result Refresh(std::unique_lock<std::mutex>& lock);

  const std::chrono::milliseconds ttl_;
  const Check check_;
  const Clock clock_;
  std::mutex mu_;
  std::condition_variable refreshed_;
  std::optional<Result> result_;
  std::chrono::steady_clock::time_point checked_at_;
  bool refreshing_ = false;
};

}  // namespace mercato::gateway
