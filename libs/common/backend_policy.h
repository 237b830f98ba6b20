// How a service treats the backends it calls: the circuit breaker, the bulkhead (a cap on
// concurrent calls) and retries of idempotent reads, per backend, from environment variables.
// rpc/resilience.h applies them to every channel (CreateChannel).
//
//   MERCATO_RESILIENCE="breaker_sleep_ms=2000,max_in_flight=128"   every backend
//   MERCATO_PAYMENT_RESILIENCE="breaker=off"                         calls to payment only
//
//   auto policies = mercato::ReadBackendPolicies(env, {"catalog", "payment"});
//   policies["payment"].breaker.enabled   // false
//
// A spec is comma-separated key=value pairs (ApplyBackendPolicySpec lists the keys; the
// defaults are the member initializers below). A per-backend variable applies on top of
// MERCATO_RESILIENCE.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/config.h"

namespace mercato {

// The breaker opens on either of two signs, whatever the traffic:
// - `consecutive_failures` calls in a row failed (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL or
//   RESOURCE_EXHAUSTED without an error code of the backend's own) or were slow (took at least
//   `slow_call`): a hung backend opens it after that many deadlines even at a shopper's pace;
// - Hystrix's rolling rate: once `min_requests` calls finished within `window`, at least
//   `error_percent` of them failed or were slow (a backend failing every other call).
// While open, calls fail at once without touching the network; after `sleep_window` one trial
// call goes through, and its success closes the breaker (a failure or a slow answer opens it
// for another sleep window).
struct BreakerOptions {
  bool enabled = true;
  int consecutive_failures = 3;               // 0: only the rate counts
  std::chrono::milliseconds slow_call{1500};  // 0: no call counts as slow
  int min_requests = 20;
  std::chrono::milliseconds window{10000};
  int error_percent = 50;
  std::chrono::milliseconds sleep_window{5000};
};

// gRPC's own retry policy (service config), for the backend's idempotent reads only and only
// on UNAVAILABLE; every attempt lies within the call's one deadline.
struct RetryOptions {
  // Attempts per call, the first included; 1 turns retries off (gRPC allows at most 5).
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{500};
  double backoff_multiplier = 2.0;
  // retryThrottling: each failure costs a token, each success returns token_ratio; retries
  // stop while fewer than half of max_tokens are left (a failing backend is not hammered).
  int throttle_max_tokens = 10;
  double throttle_token_ratio = 0.1;
};

struct BackendPolicy {
  // Deadline of every call to the backend (gRPC service config "timeout"; a caller's shorter
  // deadline wins). 0: only the caller's deadline. Defaults: DefaultBackendPolicy.
  std::chrono::milliseconds deadline{0};
  BreakerOptions breaker;
  // Bulkhead: calls in flight to this backend at most; beyond that a call fails at once
  // (RESOURCE_EXHAUSTED). 0: no cap.
  int max_in_flight = 256;
  RetryOptions retry;
};

// The defaults for calls to `backend`: a 2 s deadline and slow calls at 1.5 s for catalog,
// cart, user and payment (a healthy call takes milliseconds; docs/resilience.md
// "Deadlines and breakers"); for checkout neither, as its one call is the whole order, bounded by
// the caller's MERCATO_RPC_TIMEOUT_MS.
BackendPolicy DefaultBackendPolicy(absl::string_view backend);

// Applies a "key=value,key=value" spec to `policy`. Keys: deadline_ms, breaker (on|off),
// breaker_consecutive_failures, breaker_slow_call_ms, breaker_min_requests, breaker_window_ms,
// breaker_error_percent, breaker_sleep_ms, max_in_flight, retry_attempts, retry_backoff_ms,
// retry_max_backoff_ms. INVALID_ARGUMENT names the first bad pair.
absl::Status ApplyBackendPolicySpec(absl::string_view spec, BackendPolicy& policy);

// The env var of one backend's overrides: "payment" -> "MERCATO_PAYMENT_RESILIENCE".
std::string BackendPolicyVariable(absl::string_view backend);

// Reads MERCATO_RESILIENCE and MERCATO_<BACKEND>_RESILIENCE for each of `backends` (errors
// are recorded on `env`, naming the variable).
std::map<std::string, BackendPolicy> ReadBackendPolicies(EnvReader& env,
                                                         const std::vector<std::string>& backends);

}  // namespace mercato
