#include "rpc/circuit_breaker.h"

#include <algorithm>
#include <optional>

namespace mercato {

using std::chrono::steady_clock;

CircuitBreaker::CircuitBreaker(BreakerOptions options, Clock clock)
    : options_(options),
      clock_(std::move(clock)),
      origin_(clock_()),
      bucket_length_(std::max<steady_clock::duration>(
          std::chrono::duration_cast<steady_clock::duration>(options_.window) / kBuckets,
          std::chrono::milliseconds(1))) {}

int64_t CircuitBreaker::EpochOf(steady_clock::time_point t) const {
  if (t < origin_) return 0;
  return (t - origin_) / bucket_length_;
}

std::pair<int64_t, int64_t> CircuitBreaker::CountsLocked(int64_t epoch) const {
  int64_t total = 0;
  int64_t failures = 0;
  for (const Bucket& b : buckets_) {
    if (b.epoch > epoch - kBuckets && b.epoch <= epoch) {
      total += b.total;
      failures += b.failures;
    }
  }
  return {total, failures};
}

void CircuitBreaker::ResetWindowLocked() { buckets_.fill(Bucket{}); }

CircuitBreaker::State CircuitBreaker::TransitionLocked(State to, steady_clock::time_point now) {
  state_ = to;
  if (to == State::kOpen) opened_at_ = now;
  if (to != State::kHalfOpen) trial_in_flight_ = false;
  failures_in_a_row_ = 0;
  ResetWindowLocked();
  return to;
}

CircuitBreaker::Admission CircuitBreaker::Admit() {
  if (!options_.enabled) return Admission::kAllowed;
  std::optional<State> changed;
  Admission admission = Admission::kRejected;
  {
    absl::MutexLock lock(&mu_);
    const auto now = clock_();
    switch (state_) {
      case State::kClosed:
        admission = Admission::kAllowed;
        break;
      case State::kOpen:
        if (now - opened_at_ >= options_.sleep_window) {
          changed = TransitionLocked(State::kHalfOpen, now);
          trial_in_flight_ = true;
          admission = Admission::kTrial;
        }
        break;
      case State::kHalfOpen:
        if (!trial_in_flight_) {
          trial_in_flight_ = true;
          admission = Admission::kTrial;
        }
        break;
    }
  }
  if (changed && listener_) listener_(*changed);
  return admission;
}

void CircuitBreaker::Record(Admission admission, Outcome outcome) {
  if (!options_.enabled || admission == Admission::kRejected) return;
  std::optional<State> changed;
  {
    absl::MutexLock lock(&mu_);
    const auto now = clock_();
    if (admission == Admission::kTrial) {
      if (state_ != State::kHalfOpen) return;
      if (outcome == Outcome::kSuccess) {
        changed = TransitionLocked(State::kClosed, now);
      } else if (outcome != Outcome::kIgnored) {
        changed = TransitionLocked(State::kOpen, now);
      } else {
        trial_in_flight_ = false;  // the next call tries
      }
    } else if (state_ == State::kClosed && outcome != Outcome::kIgnored) {
      // Outcomes of calls admitted before the breaker last opened do not count.
      if (CountLocked(outcome, now)) changed = TransitionLocked(State::kOpen, now);
    }
  }
  if (changed && listener_) listener_(*changed);
}

bool CircuitBreaker::CountLocked(Outcome outcome, steady_clock::time_point now) {
  const bool bad = outcome == Outcome::kFailure || outcome == Outcome::kSlow;
  failures_in_a_row_ = bad ? failures_in_a_row_ + 1 : 0;
  const int64_t epoch = EpochOf(now);
  Bucket& bucket = buckets_[static_cast<size_t>(epoch % kBuckets)];
  if (bucket.epoch != epoch) bucket = Bucket{epoch, 0, 0};
  ++bucket.total;
  if (!bad) return false;
  ++bucket.failures;
  if (options_.consecutive_failures > 0 && failures_in_a_row_ >= options_.consecutive_failures) {
    return true;
  }
  auto [total, failures] = CountsLocked(epoch);
  return total >= options_.min_requests &&
         failures * 100 >= static_cast<int64_t>(options_.error_percent) * total;
}

CircuitBreaker::State CircuitBreaker::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

bool CircuitBreaker::WouldAdmit() const {
  if (!options_.enabled) return true;
  absl::MutexLock lock(&mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return clock_() - opened_at_ >= options_.sleep_window;
    case State::kHalfOpen:
      return !trial_in_flight_;
  }
  return true;
}

std::chrono::milliseconds CircuitBreaker::RetryAfter() const {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kClosed) return std::chrono::milliseconds(0);
  if (state_ == State::kHalfOpen) return std::chrono::milliseconds(1);
  const auto left = opened_at_ + options_.sleep_window - clock_();
  return std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(left));
}

std::pair<int64_t, int64_t> CircuitBreaker::WindowCounts() const {
  absl::MutexLock lock(&mu_);
  return CountsLocked(EpochOf(clock_()));
}

bool Bulkhead::TryAcquire() {
  const int now = in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (max_ > 0 && now > max_) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  return true;
}

void Bulkhead::Release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

}  // namespace mercato
