// Returns the stock of reservations that were neither committed nor released by their
// expiry. A background thread wakes every `interval` and expires due reservations in
// batches of `batch_size`, each batch one transaction that skips rows other transactions
// hold (FOR UPDATE SKIP LOCKED), so every catalog replica may run a sweeper at once. Each
// expired reservation's products are refreshed in this process's cache at once; other
// replicas hear of them through the products table's NOTIFY trigger.
//
//   ReservationExpirySweeper sweeper(store, refresher, metrics.registry(),
//                                    {.interval = config.reservation_sweep_interval,
//                                     .batch_size = config.reservation_sweep_batch});
//   sweeper.Start();
//   ...
//   sweeper.Stop();
#pragma once

#include <chrono>

#include "absl/status/statusor.h"
#include "catalog/cache_refresher.h"
#include "catalog/inventory_metrics.h"
#include "catalog/inventory_store.h"
#include "common/periodic_task.h"

namespace mercato::catalog {

class ReservationExpirySweeper {
 public:
  struct Options {
    std::chrono::milliseconds interval{1000};
    int batch_size = 100;
  };

  ReservationExpirySweeper(InventoryStore& store, CacheRefresher& refresher,
                           prometheus::Registry& registry, Options options);
  ~ReservationExpirySweeper();  // Stop()
  ReservationExpirySweeper(const ReservationExpirySweeper&) = delete;
  ReservationExpirySweeper& operator=(const ReservationExpirySweeper&) = delete;

  // Expires every reservation due now, batch after batch; returns how many it expired.
  absl::StatusOr<int> SweepOnce();

  void Start() { task_.Start(); }
  // Wakes the thread and joins it; a batch in progress finishes first.
  void Stop() { task_.Stop(); }

 private:
  InventoryStore& store_;
  CacheRefresher& refresher_;
  InventoryMetrics metrics_;
  const Options options_;
  PeriodicTask task_;  // last: stopped before the members it uses go
};

}  // namespace mercato::catalog
