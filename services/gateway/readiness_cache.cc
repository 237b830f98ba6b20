#include "gateway/readiness_cache.h"

namespace mercato::gateway {

ReadinessCache::ReadinessCache(std::chrono::milliseconds ttl, Check check, Clock clock)
    : ttl_(ttl), check_(std::move(check)), clock_(std::move(clock)) {}

ReadinessCache::Result ReadinessCache::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (result_ && clock_() - checked_at_ < ttl_) return *result_;
    if (!refreshing_) return Refresh(lock);
    if (result_) return *result_;  // stale while another request refreshes it
    refreshed_.wait(lock);
  }
}

ReadinessCache::Result ReadinessCache::Refresh(std::unique_lock<std::mutex>& lock) {
  refreshing_ = true;
  lock.unlock();
  Result fresh;
  try {
    fresh = check_();
  } catch (...) {
    lock.lock();
    refreshing_ = false;
    refreshed_.notify_all();
    throw;
  }
  lock.lock();
  result_ = fresh;
  checked_at_ = clock_();
  refreshing_ = false;
  refreshed_.notify_all();
  return fresh;
}

}  // namespace mercato::gateway
