// Cancels calls that outlive their backend's deadline (BackendPolicy::deadline), one thread
// for the whole process. The resilience interceptor arms a watch when a call starts and
// disarms it when the call ends; a watch that fires calls ClientContext::TryCancel, and the
// interceptor reports the call as DEADLINE_EXCEEDED.
//
// Why not gRPC's own per-method "timeout" of the service config: gRPC 1.51 (Debian 12)
// measures it from a wrong start, so a 200 ms timeout expired at once and a 3 s one after
// 1.3 s (tests/integration/resilience_grpc_test.cc). A context's own deadline is set before
// any interceptor runs, so it cannot be shortened there either.
//
//   uint64_t id = DeadlineWatch::Instance().Arm(now + 2s, &context);
//   ... the call ends ...
//   bool fired = DeadlineWatch::Instance().Disarm(id);  // after it, no cancel can come
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mercato {

class DeadlineWatch {
 public:
  using Clock = std::chrono::steady_clock;

  static DeadlineWatch& Instance();

  // Cancels `context` at `deadline` unless disarmed first. Returns the watch's id.
  uint64_t Arm(Clock::time_point deadline, grpc::ClientContext* context);
  // Stops watch `id`; true when it had fired (the call was cancelled by it).
  bool Disarm(uint64_t id);

 private:
  DeadlineWatch();
  void Run();
  // Waits until the first watch is due or the watches change.
  void WaitForTheFirst() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Watch {
    grpc::ClientContext* context;
  };

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // By deadline, then id: the first entry is the next to fire.
  std::map<std::pair<Clock::time_point, uint64_t>, Watch> pending_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Clock::time_point> deadlines_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, bool> fired_ ABSL_GUARDED_BY(mu_);  // fired, not yet disarmed
  uint64_t cancelling_ ABSL_GUARDED_BY(mu_) = 0;         // TryCancel running (unlocked)
  std::thread::id thread_id_;
};

}  // namespace mercato
