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
  if (options_.lifecycle != nullptr) {
    // Its failure must not keep the pending orders waiting: logged, and the pass goes on.
    auto lifecycle = options_.lifecycle->RecoverOnce();
    if (lifecycle.ok()) {
      finished += *lifecycle;
    } else {
      spdlog::warn("recovery of cancellations and refunds: {}", lifecycle.status());
    }
  }
  for (int batch = 0; batch < kMaxBatchesPerPass; ++batch) {
    if (task_.stopping()) break;
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

}  // namespace mercato::checkout
