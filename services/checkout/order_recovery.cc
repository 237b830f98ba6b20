#include "checkout/order_recovery.h"

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/logging.h"

namespace mercato::checkout {
namespace {

// Batches per pass, so that a huge backlog does not keep one pass (and Stop) busy for long.
constexpr int kMaxBatchesPerPass = 50;

}  // namespace

StalledOrderRecovery::~StalledOrderRecovery() { Stop(); }

absl::StatusOr<int> StalledOrderRecovery::RunOnce() {
  int finished = 0;
  for (int batch = 0; batch < kMaxBatchesPerPass; ++batch) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    const std::string lease_owner = NewUuid();
    auto claimed = store_.ClaimStalled(lease_owner, options_.lease, options_.batch_size);
    if (!claimed.ok()) return claimed.status();
    int still_pending = 0;
    for (auto& order : *claimed) {
      const std::string id = order.order.id();
      const OrderStep from = order.step;
      Resolution r = saga_.Resolve(std::move(order), lease_owner, Driver::kRecovery);
      if (IsTerminal(r.record.step)) {
        ++finished;
        spdlog::info("recovery: order {} {} -> {}", id, StepName(from), StepName(r.record.step));
      } else {
        ++still_pending;
        spdlog::warn("recovery: order {} stays at step {}: {}", id, StepName(r.record.step),
                     r.pending_cause);
      }
    }
    // A short batch is the last one; orders that stay pending came back with their lease
    // given up, and are left for the next pass rather than retried at once.
    if (static_cast<int>(claimed->size()) < options_.batch_size || still_pending > 0) break;
  }
  return finished;
}

void StalledOrderRecovery::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void StalledOrderRecovery::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StalledOrderRecovery::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (auto done = RunOnce(); !done.ok()) {
      spdlog::warn("order recovery pass failed: {}", done.status());
    }
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

}  // namespace mercato::checkout
