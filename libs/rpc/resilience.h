// Resilience of outgoing calls, per backend, for every channel CreateChannel() makes:
//
// - a circuit breaker and a bulkhead (rpc/circuit_breaker.h) applied by a client interceptor
//   that hijacks a refused call, so the refusal takes no network round trip and works the
//   same for sync, async and callback stubs. The refusal is UNAVAILABLE with error code
//   "service_unavailable", a Retry-After hint and CallNotSent() true;
// - the backend's deadline (BackendPolicy::deadline): a call still unanswered then is cancelled
//   and ends DEADLINE_EXCEEDED, whatever the caller's own deadline (rpc/deadline_watch.h);
// - gRPC's own retry policy (service config) for the backend's idempotent reads only, on
//   UNAVAILABLE only, with exponential backoff and retryThrottling, all attempts within the
//   call's deadline;
// - metrics per backend: mercato_circuit_breaker_state (0 closed, 1 open, 2 half-open),
//   mercato_circuit_breaker_opened_total, mercato_client_rejected_total{reason},
//   mercato_client_in_flight.
//
// What counts as a failure for the breaker: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL or
// RESOURCE_EXHAUSTED *without* a Mercato error code, i.e. from the transport or from a failure
// the backend did not handle. A status with an error code is the backend's own answer (it is
// up), e.g. cart's "catalog_unavailable" or checkout's "order_pending". Every failure a client
// receives without one gets its default code attached ("service_unavailable", ...), so a
// service relaying a failure from further down never trips its callers' breakers: only the
// breaker in front of the service that failed opens. CANCELLED says nothing either way.
// Health checks (grpc.health.v1) bypass breaker and bulkhead.
#pragma once

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/status.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/backend_policy.h"
#include "metrics/metrics.h"
#include "rpc/circuit_breaker.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace mercato {

// The read-only methods of a backend's gRPC service: the only calls that are retried.
struct IdempotentReads {
  std::string service;               // "mercato.catalog.v1.CatalogService"
  std::vector<std::string> methods;  // "GetProduct", ...
};
// Every backend's reads, by backend name (the names of deploy/services.json).
const std::map<std::string, IdempotentReads>& AllIdempotentReads();
// nullptr for a backend without a list (nothing is retried).
const IdempotentReads* IdempotentReadsOf(const std::string& backend);

// The gRPC service config (JSON) of the calls to one backend: the retry policy for `reads` with
// retryThrottling; empty when there is nothing to retry (no reads, or max_attempts 1). The
// backend's deadline is not its "timeout": gRPC 1.51 measures that from a wrong start (a 200 ms
// timeout expired at once, 3 s after 1.3 s), so DeadlineWatch enforces it instead.
std::string BackendServiceConfig(const IdempotentReads* reads, const BackendPolicy& policy);

// Breaker, bulkhead and metrics of the calls to one backend.
class BackendGuard {
 public:
  // `metrics` may be null (no metrics).
  BackendGuard(std::string backend, const BackendPolicy& policy, Metrics* metrics,
               CircuitBreaker::Clock clock = &std::chrono::steady_clock::now);

  struct Ticket {
    CircuitBreaker::Admission admission = CircuitBreaker::Admission::kRejected;
    bool holds_permit = false;
    std::chrono::steady_clock::time_point started{};
  };
  // Admits a call (ticket filled) or returns the status to fail it with at once.
  std::optional<grpc::Status> Admit(Ticket& ticket);
  // The call ended with `status` (as received).
  void Finish(Ticket& ticket, const grpc::Status& status);
  // The call ended without a status (destroyed before it finished).
  void Abandon(Ticket& ticket);

  // OK when a call would be admitted now; else UNAVAILABLE "service_unavailable" with a
  // Retry-After hint. For a caller about to start work that needs this backend later (the
  // checkout saga checks payment before it reserves stock).
  absl::Status Available() const;

  const std::string& backend() const { return backend_; }
  // The longest any call to the backend may wait (0: only the caller's deadline).
  std::chrono::milliseconds deadline() const { return deadline_; }
  CircuitBreaker& breaker() { return breaker_; }
  const Bulkhead& bulkhead() const { return bulkhead_; }

  // Whether `status` counts as a failure of the backend (see the top of this file).
  static bool IsBackendFailure(const grpc::Status& status);

 private:
  int RetryAfterSeconds() const;

  const std::string backend_;
  const CircuitBreaker::Clock clock_;
  const std::chrono::milliseconds deadline_;
  CircuitBreaker breaker_;
  Bulkhead bulkhead_;
  prometheus::Gauge* state_gauge_ = nullptr;
  prometheus::Counter* opened_ = nullptr;
  prometheus::Counter* rejected_open_ = nullptr;
  prometheus::Counter* rejected_full_ = nullptr;
  prometheus::Gauge* in_flight_gauge_ = nullptr;
};

// The interceptor that applies `guard` to every call of a channel.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewResilienceInterceptorFactory(std::shared_ptr<BackendGuard> guard);

}  // namespace mercato
