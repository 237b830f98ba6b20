// Token-bucket rate limits of the gateway, one bucket per key (a client address, a user id):
//
//   RateLimiter limiter({.rate_per_second = 20, .burst = 40});
//   auto decision = limiter.Take("203.0.113.7");
//   if (!decision.allowed) -> 429, Retry-After: decision.retry_after_seconds
//
// A bucket holds up to `burst` tokens and refills at `rate_per_second`; a request takes one.
// Memory is bounded: a bucket idle long enough to be full again is the same as no bucket and
// is evicted (swept from a shard as it grows), and a table never holds more than `max_keys`
// buckets; past that, new keys are let through unlimited (and counted) rather than evicting
// active ones. The limits are per gateway process: N replicas let N times as much through.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mercato::gateway {

struct RateLimit {
  // 0: no limit.
  double rate_per_second = 0;
  double burst = 0;
  bool enabled() const { return rate_per_second > 0; }
};

// "20/s", "600/m:50", "off". The burst after ':' defaults to the rate of one second (at least
// 1). Units: s, m (minute), h (hour). "off" or empty: no limit.
absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view spec);

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit RateLimiter(RateLimit limit, size_t max_keys = 100000,
                       Clock clock = &std::chrono::steady_clock::now);

  struct Decision {
    bool allowed = true;
    // When refused: whole seconds until a token is back (at least 1).
    int retry_after_seconds = 0;
  };
  Decision Take(const std::string& key);

  // Buckets held now (for the metric and the tests).
  size_t size() const;
  // Requests let through because the table was full.
  uint64_t overflowed() const;
  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  struct Shard {
    mutable absl::Mutex mu;
    std::unordered_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
    size_t sweep_at ABSL_GUARDED_BY(mu) = 64;  // sweep when the shard grows past this
    std::chrono::steady_clock::time_point swept ABSL_GUARDED_BY(mu){};
    uint64_t overflowed ABSL_GUARDED_BY(mu) = 0;
  };
  static constexpr size_t kShards = 16;

  // Removes buckets that are full again; returns how many are left.
  size_t SweepLocked(Shard& shard, std::chrono::steady_clock::time_point now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const RateLimit limit_;
  const size_t max_keys_per_shard_;
  const Clock clock_;
  // Idle this long, a bucket is full again.
  const std::chrono::steady_clock::duration refill_time_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace mercato::gateway
