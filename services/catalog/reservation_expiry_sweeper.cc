#include "catalog/reservation_expiry_sweeper.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"

namespace mercato::catalog {
namespace {

// Batches per SweepOnce, so that a huge backlog does not keep one sweep (and Stop) busy.
constexpr int kMaxBatchesPerSweep = 100;

}  // namespace

ReservationExpirySweeper::ReservationExpirySweeper(InventoryStore& store, CacheRefresher& refresher,
                                                   prometheus::Registry& registry, Options options)
    : store_(store),
      refresher_(refresher),
      metrics_(registry),
      options_(options),
      task_("reservation expiry", options.interval, [this] { return SweepOnce().status(); }) {}

ReservationExpirySweeper::~ReservationExpirySweeper() { Stop(); }

absl::StatusOr<int> ReservationExpirySweeper::SweepOnce() {
  int total = 0;
  for (int batch = 0; batch < kMaxBatchesPerSweep; ++batch) {
    auto expired = store_.ExpireReservations(options_.batch_size);
    if (!expired.ok()) return expired.status();
    if (expired->reservations == 0) break;
    total += expired->reservations;
    metrics_.expired.Increment(expired->reservations);
    if (!expired->product_ids.empty()) {
      if (absl::Status s = refresher_.Refresh(expired->product_ids); !s.ok()) {
        spdlog::warn("cache refresh after expiring reservations failed: {}", s);
      }
    }
    if (expired->reservations < options_.batch_size) break;
  }
  if (total > 0) spdlog::info("expired {} stock reservations", total);
  return total;
}

}  // namespace mercato::catalog
