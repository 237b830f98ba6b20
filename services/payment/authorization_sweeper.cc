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
    : service_(service),
      options_(options),
      interval_(IntervalFor(options)),
      task_("authorization sweep", interval_, [this] { return SweepOnce().status(); }) {}

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

}  // namespace mercato::payment
