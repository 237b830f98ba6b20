#include "gateway/readiness_cache.h"

namespace mercato::gateway {

ReadinessCache::ReadinessCache(std::chrono::milliseconds ttl, Check check, Clock clock)
    : ttl_(ttl), check_(std::move(check)), clock_(std::move(clock)) {}

void ReadinessCache::Get(Done done) {
  std::optional<Result> answer;
  {
    absl::MutexLock lock(&mu_);
    if (result_ && (clock_() - checked_at_ < ttl_ || refreshing_)) {
      answer = *result_;  // fresh, or stale while another request refreshes it
    } else if (refreshing_) {
      waiting_.push_back(std::move(done));
      return;
    } else {
      refreshing_ = true;
    }
  }
  if (answer) return done(*std::move(answer));
  Refresh(std::move(done));
}

void ReadinessCache::Refresh(Done done) {
  try {
    check_([this, done = std::move(done)](Result fresh) {
      Publish(fresh);
      done(std::move(fresh));
    });
  } catch (...) {
    absl::MutexLock lock(&mu_);
    refreshing_ = false;
    throw;
  }
}

void ReadinessCache::Publish(const Result& fresh) {
  std::vector<Done> waiting;
  {
    absl::MutexLock lock(&mu_);
    result_ = fresh;
    checked_at_ = clock_();
    refreshing_ = false;
    waiting.swap(waiting_);
  }
  for (Done& done : waiting) done(fresh);
}

}  // namespace mercato::gateway
