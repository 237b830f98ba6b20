// Voids authorizations nobody will capture (issue 15, defect 11). A payment left PENDING (the
// process died between recording it and recording the processor's answer, or the processor
// did not answer) or AUTHORIZED and never captured (its order failed before checkout could see
// the authorization, e.g. when it committed after checkout's payment grace) holds money on a
// shopper's card. Checkout's recovery voids what it finds; this is the backstop: a background
// thread wakes every `interval` and voids, through the same path as the Void RPC, every
// payment pending or authorized for longer than `max_age`. Moves are conditional, so a
// capture racing the sweep wins or loses cleanly, and several replicas may sweep at once.
//
//   AuthorizationSweeper sweeper(service, {.max_age = config.authorization_max_age});
//   sweeper.Start();
//   ...
//   sweeper.Stop();
#pragma once

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/periodic_task.h"
#include "payment/payment_service.h"

namespace mercato::payment {

class AuthorizationSweeper {
 public:
  struct Options {
    // Older than this, an uncaptured authorization is voided. It must exceed the longest
    // legitimate time between authorizing and capturing (checkout captures at once).
    absl::Duration max_age = absl::Seconds(900);
    // How often to look; by default a tenth of max_age, between 100 ms and 30 s.
    std::chrono::milliseconds interval{0};
    int batch_size = 100;
  };

  AuthorizationSweeper(PaymentService& service, Options options);
  ~AuthorizationSweeper();  // Stop()
  AuthorizationSweeper(const AuthorizationSweeper&) = delete;
  AuthorizationSweeper& operator=(const AuthorizationSweeper&) = delete;

  // Voids what is due now, batch after batch; returns how many it voided.
  absl::StatusOr<int> SweepOnce();

  void Start() { task_.Start(); }
  // Wakes the thread and joins it; a sweep in progress finishes first.
  void Stop() { task_.Stop(); }

  std::chrono::milliseconds interval() const { return interval_; }

 private:
  PaymentService& service_;
  const Options options_;
  const std::chrono::milliseconds interval_;
  PeriodicTask task_;  // last: stopped before the members it uses go
};

}  // namespace mercato::payment
