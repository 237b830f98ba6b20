// A circuit breaker with Hystrix semantics and a bulkhead, for the calls to one backend.
// Pure logic with an injectable clock; rpc/resilience.h wires them into every channel.
//
//   CircuitBreaker breaker(BreakerOptions{});
//   auto admission = breaker.Admit();
//   if (admission == CircuitBreaker::Admission::kRejected) { /* fail fast */ }
//   ... make the call ...
//   breaker.Record(admission, failed ? Outcome::kFailure : Outcome::kSuccess);
//
// States: closed (calls pass; it opens after consecutive_failures failed or slow calls in a
// row, or once its rolling window of 10 buckets holds min_requests outcomes of which
// error_percent failed or were slow),
// open (every call is rejected until sleep_window has passed), half-open (exactly one trial
// call passes; its success closes the breaker with an empty window, its failure opens it for
// another sleep window, an outcome that says nothing about the backend lets the next call try).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backend_policy.h"

namespace mercato {

class CircuitBreaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Numbered as exported by the mercato_circuit_breaker_state metric.
  enum class State { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
  enum class Admission { kAllowed, kTrial, kRejected };
  // kSlow: answered, but took at least BreakerOptions::slow_call; counts like a failure.
  // kIgnored: the call says nothing about the backend's health (cancelled by the caller).
  enum class Outcome { kSuccess, kFailure, kSlow, kIgnored };

  explicit CircuitBreaker(BreakerOptions options, Clock clock = &std::chrono::steady_clock::now);

  // Whether a call may start now; kTrial for the one call of a half-open breaker. Always
  // kAllowed when the breaker is disabled.
  Admission Admit();
  // The outcome of a call that Admit() let through.
  void Record(Admission admission, Outcome outcome);

  State state() const;
  // Would Admit() let a call through now (without taking the trial)?
  bool WouldAdmit() const;
  // Time left until the next trial call when open (at least 1 ms), else 0.
  std::chrono::milliseconds RetryAfter() const;
  // Outcomes (total, failures) in the current rolling window.
  std::pair<int64_t, int64_t> WindowCounts() const;

  // Called (under no lock) after each state change, e.g. to update a metric.
  void OnStateChange(std::function<void(State)> listener) { listener_ = std::move(listener); }

  const BreakerOptions& options() const { return options_; }

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    int64_t epoch = -1;  // which bucket-length interval since origin_ it counts
    int64_t total = 0;
    int64_t failures = 0;
  };

  int64_t EpochOf(std::chrono::steady_clock::time_point t) const;
  std::pair<int64_t, int64_t> CountsLocked(int64_t epoch) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResetWindowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the new state for the listener.
  State TransitionLocked(State to, std::chrono::steady_clock::time_point now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts the outcome of a call admitted while closed; true when the breaker must open.
  bool CountLocked(Outcome outcome, std::chrono::steady_clock::time_point now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const BreakerOptions options_;
  const Clock clock_;
  const std::chrono::steady_clock::time_point origin_;
  const std::chrono::steady_clock::duration bucket_length_;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  std::chrono::steady_clock::time_point opened_at_ ABSL_GUARDED_BY(mu_){};
  bool trial_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  int failures_in_a_row_ ABSL_GUARDED_BY(mu_) = 0;  // failed or slow outcomes since a success
  std::array<Bucket, kBuckets> buckets_ ABSL_GUARDED_BY(mu_){};
  std::function<void(State)> listener_;
};

// A cap on concurrent calls; beyond it TryAcquire() fails and the call fails fast.
class Bulkhead {
 public:
  // 0: no cap.
  explicit Bulkhead(int max_in_flight) : max_(max_in_flight) {}
  bool TryAcquire();
  void Release();
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int max_in_flight() const { return max_; }

 private:
  const int max_;
  std::atomic<int> in_flight_{0};
};

}  // namespace mercato
