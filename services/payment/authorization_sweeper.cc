#include "payment/authorization_sweeper.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/logging.h"

namespace mercato::payment {
namespace {

// Batches per SweepOnce, so that a huge backlog does not keep one sweep (and Stop) busy.
constexpr int kMaxBatchesPerSweep = 20;

std::chrono::milliseconds IntervalFor(const AuthorizationSweeper::Options& options) {
  if (options.interval.count() > 0) return options.interval;
  const auto tenth = std::chrono::milliseconds(absl::ToInt64Milliseconds(options.max_age) / 10);
  return std::clamp(tenth, std::chrono::milliseconds(100), std::chrono::milliseconds(30000));
}

}  // namespace

AuthorizationSweeper::AuthorizationSweeper(PaymentService& service, Options options)
    : service_(service), options_(options), interval_(IntervalFor(options)) {}

AuthorizationSweeper::~AuthorizationSweeper() { Stop(); }

absl::StatusOr<int> AuthorizationSweeper::SweepOnce() {
  int total = 0;
  for (int batch = 0; batch < kMaxBatchesPerSweep; ++batch) {
    auto voided = service_.VoidStale(options_.max_age, options_.batch_size);
    if (!voided.ok()) return voided.status();
    total += *voided;
    if (*voided < options_.batch_size) break;
  }
  return total;
}

void AuthorizationSweeper::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void AuthorizationSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuthorizationSweeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (auto swept = SweepOnce(); !swept.ok()) {
      spdlog::warn("sweep of stale authorizations failed: {}", swept.status());
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

}  // namespace mercato::payment
