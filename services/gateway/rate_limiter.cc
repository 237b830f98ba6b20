#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mercato::gateway {

using std::chrono::steady_clock;

absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view spec) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(spec));
  if (s.empty() || s == "off") return RateLimit{};
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "must be RATE/UNIT[:BURST] with UNIT s, m or h (e.g. 20/s:40, 5/m) or off, got '", s, "'"));
  };
  std::vector<std::string> parts = absl::StrSplit(s, ':');
  if (parts.size() > 2) return bad();
  std::vector<std::string> rate_unit = absl::StrSplit(parts[0], '/');
  if (rate_unit.size() != 2) return bad();
  double count = 0;
  if (!absl::SimpleAtod(rate_unit[0], &count) || !(count > 0) || count > 1e9) return bad();
  double per_seconds = 0;
  if (rate_unit[1] == "s") {
    per_seconds = 1;
  } else if (rate_unit[1] == "m") {
    per_seconds = 60;
  } else if (rate_unit[1] == "h") {
    per_seconds = 3600;
  } else {
    return bad();
  }
  RateLimit limit;
  limit.rate_per_second = count / per_seconds;
  limit.burst = std::max(1.0, std::floor(limit.rate_per_second));
  if (parts.size() == 2) {
    int64_t burst = 0;
    if (!absl::SimpleAtoi(parts[1], &burst) || burst < 1 || burst > 1000000000) return bad();
    limit.burst = static_cast<double>(burst);
  }
  return limit;
}

RateLimiter::RateLimiter(RateLimit limit, size_t max_keys, Clock clock)
    : limit_(limit),
      max_keys_per_shard_(std::max<size_t>(1, max_keys / kShards)),
      clock_(std::move(clock)),
      refill_time_(limit.enabled()
                       ? std::chrono::duration_cast<steady_clock::duration>(
                             std::chrono::duration<double>(limit.burst / limit.rate_per_second))
                       : steady_clock::duration::zero()) {
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

size_t RateLimiter::SweepLocked(Shard& shard, steady_clock::time_point now) const {
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    if (now - it->second.updated >= refill_time_) {
      it = shard.buckets.erase(it);
    } else {
      ++it;
    }
  }
  return shard.buckets.size();
}

RateLimiter::Decision RateLimiter::Take(const std::string& key) {
  if (!limit_.enabled()) return {};
  Shard& shard = *shards_[std::hash<std::string>{}(key) % kShards];
  const auto now = clock_();
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    const bool full = shard.buckets.size() >= max_keys_per_shard_;
    // Sweep once the shard has doubled since the last sweep (amortized O(1) per new key); a
    // full shard at most every 100 ms (a flood of new keys must not cost a sweep each).
    if ((!full && shard.buckets.size() >= shard.sweep_at) ||
        (full && now - shard.swept >= std::chrono::milliseconds(100))) {
      const size_t left = SweepLocked(shard, now);
      shard.swept = now;
      shard.sweep_at = std::max<size_t>(64, left * 2);
    }
    if (shard.buckets.size() >= max_keys_per_shard_) {
      ++shard.overflowed;
      return {};
    }
    it = shard.buckets.emplace(key, Bucket{limit_.burst, now}).first;
  } else {
    Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(limit_.burst, b.tokens + std::max(0.0, elapsed) * limit_.rate_per_second);
    b.updated = now;
  }
  Bucket& b = it->second;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - b.tokens) / limit_.rate_per_second;
  return {.allowed = false, .retry_after_seconds = std::max(1, static_cast<int>(std::ceil(wait)))};
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    n += shard->buckets.size();
  }
  return n;
}

uint64_t RateLimiter::overflowed() const {
  uint64_t n = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    n += shard->overflowed;
  }
  return n;
}

}  // namespace mercato::gateway
