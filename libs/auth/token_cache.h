// Tokens already verified, so that a token seen again costs a lookup instead of a signature
// check (about a millisecond with libjwt). A service's token is reused by its caller for half
// a minute and a shopper's for every request of a session, so nearly every check is a hit.
// Only verified tokens go in, keyed by their exact text (signature included); an entry is
// dropped when the token would no longer pass (its exp plus the clock-skew allowance), so a
// hit answers exactly what verifying again would.
//
//   VerifiedTokenCache<VerifiedToken> cache(4096);
//   if (auto hit = cache.Find(token, now)) return *hit;
//   ... verify ...
//   cache.Insert(token, verified, valid_until);
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/strings/string_view.h"

namespace mercato::auth {

template <typename Value>
class VerifiedTokenCache {
 public:
  using Clock = std::chrono::system_clock;

  // At most `capacity` tokens: when full, the expired ones go; if none has expired, one
  // arbitrary entry makes room (it is verified again when next seen).
  explicit VerifiedTokenCache(size_t capacity) : capacity_(capacity) {}

  std::optional<Value> Find(absl::string_view token, Clock::time_point now) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(std::string(token));
    if (it == entries_.end() || now >= it->second.valid_until) return std::nullopt;
    return it->second.value;
  }

  void Insert(absl::string_view token, Value value, Clock::time_point valid_until,
              Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.size() >= capacity_) Evict(now);
    entries_.insert_or_assign(std::string(token), Entry{std::move(value), valid_until});
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    Clock::time_point valid_until;
  };

  void Evict(Clock::time_point now) {
    std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.valid_until; });
    if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace mercato::auth
