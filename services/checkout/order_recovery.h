// Finishes the orders nobody is driving: a pending order whose lease ran out belongs to a
// request that crashed, stalled or gave up (see OrderSaga::Resolve for what is done with it).
// A background thread runs a pass at start-up and then every `interval`; each pass claims
// batches of such orders (CheckoutStore::ClaimStalled: FOR UPDATE SKIP LOCKED, a fresh lease
// token per batch), so any number of checkout replicas may recover at once and never together
// with a request that still holds an order. With a lifecycle, each pass also finishes the
// cancellations and refunds whose driver crashed or gave up (OrderLifecycle::RecoverOnce).
//
//   StalledOrderRecovery recovery(store, saga, {.interval = config.recovery_interval,
//                                               .lease = config.lease});
//   recovery.Start();
//   ...
//   recovery.Stop();
#pragma once

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checkout/checkout_store.h"
#include "checkout/order_lifecycle.h"
#include "checkout/order_saga.h"
#include "common/periodic_task.h"

namespace mercato::checkout {

class StalledOrderRecovery {
 public:
  struct Options {
    std::chrono::milliseconds interval{5000};
    absl::Duration lease = absl::Seconds(30);
    int batch_size = 20;
    // Unset: pending orders only.
    OrderLifecycle* lifecycle = nullptr;
  };

  StalledOrderRecovery(CheckoutStore& store, OrderSaga& saga, Options options)
      : store_(store),
        saga_(saga),
        options_(options),
        task_("order recovery", options.interval, [this] { return RunOnce().status(); }) {}
  ~StalledOrderRecovery();  // Stop()
  StalledOrderRecovery(const StalledOrderRecovery&) = delete;
  StalledOrderRecovery& operator=(const StalledOrderRecovery&) = delete;

  // One pass; returns how many orders it brought to a terminal state.
  absl::StatusOr<int> RunOnce();

  void Start() { task_.Start(); }
  // Wakes the thread and joins it; the order being resolved is finished first.
  void Stop() { task_.Stop(); }

 private:
  CheckoutStore& store_;
  OrderSaga& saga_;
  const Options options_;
  PeriodicTask task_;  // last: stopped before the members it uses go
};

}  // namespace mercato::checkout
