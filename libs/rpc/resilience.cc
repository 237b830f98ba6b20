#include "rpc/resilience.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "rpc/deadline_watch.h"
#include "rpc/status_conversion.h"

namespace mercato {
namespace {

using grpc::experimental::InterceptionHookPoints;

std::string Seconds(std::chrono::milliseconds ms) {
  // Protobuf JSON duration: "0.050s".
  return absl::StrCat(static_cast<double>(ms.count()) / 1000.0, "s");
}

// gRPC's own words for a call that failed before any connection carried it: the channel found
// no backend to pick (every address refused or unreachable, or none resolved).
bool NeverLeftTheChannel(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string message = status.error_message();  // a copy: returned by value
  return absl::StartsWith(message, "failed to connect to all addresses") ||
         absl::StartsWith(message, "connections to all backends failing") ||
         absl::StartsWith(message, "DNS resolution failed") ||
         absl::StartsWith(message, "empty address list");
}

// A backend failure as the caller sees it: with its default error code, and marked not sent
// (CallNotSent) when it never left the channel, so that a caller can undo at once what it
// did for the call (checkout releases the stock of a payment that was certainly not asked).
grpc::Status MarkedFailure(const grpc::Status& status) {
  if (NeverLeftTheChannel(status)) {
    return NotSentStatus(status.error_code(), status.error_message(), "service_unavailable", 1);
  }
  return WithDefaultErrorCode(status);
}

class ResilienceInterceptor final : public grpc::experimental::Interceptor {
 public:
  ResilienceInterceptor(std::shared_ptr<BackendGuard> guard, bool exempt,
                        grpc::ClientContext* context)
      : guard_(std::move(guard)), exempt_(exempt), context_(context) {}

  ~ResilienceInterceptor() override {
    if (watch_ != 0) DeadlineWatch::Instance().Disarm(watch_);
    if (admitted_ && !finished_) guard_->Abandon(ticket_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (exempt_) return methods->Proceed();
    if (refusal_) {
      // The hijacked call: answer the receive operations with the refusal.
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_RECV_STATUS)) {
        *methods->GetRecvStatus() = *refusal_;
      }
      return methods->Proceed();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::optional<grpc::Status> refusal = guard_->Admit(ticket_);
      if (refusal) {
        refusal_ = std::move(refusal);
        // Nothing goes to the network; gRPC calls Intercept again for the receive hooks.
        return methods->Hijack();
      }
      admitted_ = true;
      WatchTheBackendsDeadline();
    }
    if (admitted_ && !finished_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      grpc::Status* status = methods->GetRecvStatus();
      finished_ = true;
      if (watch_ != 0 && DeadlineWatch::Instance().Disarm(std::exchange(watch_, 0)) &&
          status->error_code() == grpc::StatusCode::CANCELLED) {
        *status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                               absl::StrCat(guard_->backend(), " did not answer within ",
                                            guard_->deadline().count(), " ms"));
      }
      guard_->Finish(ticket_, *status);
      // A failure without an error code becomes one with its default code, so that relaying
      // it (to our own callers) does not count against us in their breakers.
      if (BackendGuard::IsBackendFailure(*status)) *status = MarkedFailure(*status);
    }
    methods->Proceed();
  }

 private:
  // Cancels the call at the backend's deadline when the caller's own is later.
  void WatchTheBackendsDeadline() {
    const auto limit = guard_->deadline();
    if (limit.count() <= 0 || context_ == nullptr) return;
    if (context_->deadline() <= std::chrono::system_clock::now() + limit) return;
    watch_ = DeadlineWatch::Instance().Arm(std::chrono::steady_clock::now() + limit, context_);
  }

  std::shared_ptr<BackendGuard> guard_;
  const bool exempt_;
  grpc::ClientContext* const context_;
  uint64_t watch_ = 0;  // DeadlineWatch id while armed
  BackendGuard::Ticket ticket_;
  bool admitted_ = false;
  bool finished_ = false;
  std::optional<grpc::Status> refusal_;
};

class ResilienceFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ResilienceFactory(std::shared_ptr<BackendGuard> guard) : guard_(std::move(guard)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    const char* method = info->method();
    const bool health =
        method != nullptr && absl::string_view(method).rfind("/grpc.health.v1.Health/", 0) == 0;
    return new ResilienceInterceptor(guard_, health, info->client_context());
  }

 private:
  std::shared_ptr<BackendGuard> guard_;
};

}  // namespace

const std::map<std::string, IdempotentReads>& AllIdempotentReads() {
  // Reads only: retrying them can change nothing. Writes are never retried, not even the
  // idempotent-by-key ones (Authorize, ReserveStock): a lost answer is the saga's to settle.
  static const auto* reads = new std::map<std::string, IdempotentReads>{
      {"catalog",
       {"mercato.catalog.v1.CatalogService",
        {"ListProducts", "GetProduct", "BatchGetProducts", "ListCategories"}}},
      {"cart", {"mercato.cart.v1.CartService", {"GetCart"}}},
      {"user", {"mercato.user.v1.UserService", {"GetMe", "ListAddresses", "GetAddress"}}},
      {"checkout", {"mercato.checkout.v1.CheckoutService", {"GetOrder", "ListOrders"}}},
      {"payment", {"mercato.payment.v1.PaymentService", {"GetPayment"}}},
  };
  return *reads;
}

const IdempotentReads* IdempotentReadsOf(const std::string& backend) {
  const auto& all = AllIdempotentReads();
  auto it = all.find(backend);
  return it == all.end() ? nullptr : &it->second;
}

std::string BackendServiceConfig(const IdempotentReads* reads, const BackendPolicy& policy) {
  nlohmann::json method_configs = nlohmann::json::array();
  const RetryOptions& retry = policy.retry;
  const bool retries = reads != nullptr && !reads->methods.empty() && retry.max_attempts > 1;
  if (retries) {
    nlohmann::json names = nlohmann::json::array();
    for (const std::string& m : reads->methods) {
      nlohmann::json name = nlohmann::json::object();
      name["service"] = reads->service;
      name["method"] = m;
      names.push_back(std::move(name));
    }
    nlohmann::json retry_policy = nlohmann::json::object();
    retry_policy["maxAttempts"] = retry.max_attempts;
    retry_policy["initialBackoff"] = Seconds(retry.initial_backoff);
    retry_policy["maxBackoff"] = Seconds(retry.max_backoff);
    retry_policy["backoffMultiplier"] = retry.backoff_multiplier;
    retry_policy["retryableStatusCodes"] = nlohmann::json::array({"UNAVAILABLE"});
    nlohmann::json reads_config = nlohmann::json::object();
    reads_config["name"] = std::move(names);
    reads_config["retryPolicy"] = std::move(retry_policy);
    method_configs.push_back(std::move(reads_config));
  }
  if (method_configs.empty()) return "";
  nlohmann::json config = nlohmann::json::object();
  config["methodConfig"] = std::move(method_configs);
  if (retries) {
    nlohmann::json throttling = nlohmann::json::object();
    throttling["maxTokens"] = retry.throttle_max_tokens;
    throttling["tokenRatio"] = retry.throttle_token_ratio;
    config["retryThrottling"] = std::move(throttling);
  }
  return config.dump();
}

BackendGuard::BackendGuard(std::string backend, const BackendPolicy& policy, Metrics* metrics,
                           CircuitBreaker::Clock clock)
    : backend_(std::move(backend)),
      clock_(clock),
      deadline_(policy.deadline),
      breaker_(policy.breaker, std::move(clock)),
      bulkhead_(policy.max_in_flight) {
  if (metrics != nullptr) {
    auto& registry = metrics->registry();
    const prometheus::Labels labels{{"backend", backend_}};
    state_gauge_ = &prometheus::BuildGauge()
                        .Name("mercato_circuit_breaker_state")
                        .Help(
                            "Circuit breaker of the calls to a backend: 0 closed, 1 open, "
                            "2 half-open (one trial call)")
                        .Register(registry)
                        .Add(labels);
    opened_ = &prometheus::BuildCounter()
                   .Name("mercato_circuit_breaker_opened_total")
                   .Help("Times the circuit breaker of a backend opened")
                   .Register(registry)
                   .Add(labels);
    auto& rejected = prometheus::BuildCounter()
                         .Name("mercato_client_rejected_total")
                         .Help(
                             "Calls to a backend failed at once without being sent, by "
                             "reason: circuit_open or bulkhead_full")
                         .Register(registry);
    rejected_open_ = &rejected.Add({{"backend", backend_}, {"reason", "circuit_open"}});
    rejected_full_ = &rejected.Add({{"backend", backend_}, {"reason", "bulkhead_full"}});
    in_flight_gauge_ = &prometheus::BuildGauge()
                            .Name("mercato_client_in_flight")
                            .Help("Calls to a backend in flight (the bulkhead caps them)")
                            .Register(registry)
                            .Add(labels);
  }
  breaker_.OnStateChange([this](CircuitBreaker::State state) {
    if (state_gauge_) state_gauge_->Set(static_cast<double>(state));
    if (state == CircuitBreaker::State::kOpen && opened_) opened_->Increment();
  });
}

int BackendGuard::RetryAfterSeconds() const {
  const auto ms = breaker_.RetryAfter().count();
  return std::max<int>(1, static_cast<int>((ms + 999) / 1000));
}

std::optional<grpc::Status> BackendGuard::Admit(Ticket& ticket) {
  ticket = Ticket{};
  const auto admission = breaker_.Admit();
  if (admission == CircuitBreaker::Admission::kRejected) {
    if (rejected_open_) rejected_open_->Increment();
    return NotSentStatus(grpc::StatusCode::UNAVAILABLE,
                         absl::StrCat(backend_,
                                      " is unavailable (circuit breaker open); the call was "
                                      "not sent"),
                         "service_unavailable", RetryAfterSeconds());
  }
  if (!bulkhead_.TryAcquire()) {
    // The trial (if this was one) did not happen: let the next call try.
    breaker_.Record(admission, CircuitBreaker::Outcome::kIgnored);
    if (rejected_full_) rejected_full_->Increment();
    return NotSentStatus(grpc::StatusCode::UNAVAILABLE,
                         absl::StrCat(backend_, " is busy (", bulkhead_.max_in_flight(),
                                      " calls in flight); the call was not sent"),
                         "service_unavailable", 1);
  }
  if (in_flight_gauge_) in_flight_gauge_->Increment();
  ticket.admission = admission;
  ticket.holds_permit = true;
  ticket.started = clock_();
  return std::nullopt;
}

void BackendGuard::Finish(Ticket& ticket, const grpc::Status& status) {
  if (ticket.holds_permit) {
    bulkhead_.Release();
    if (in_flight_gauge_) in_flight_gauge_->Decrement();
    ticket.holds_permit = false;
  }
  CircuitBreaker::Outcome outcome = CircuitBreaker::Outcome::kSuccess;
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    outcome = CircuitBreaker::Outcome::kIgnored;
  } else if (IsBackendFailure(status)) {
    outcome = CircuitBreaker::Outcome::kFailure;
  } else if (const auto slow = breaker_.options().slow_call;
             slow.count() > 0 && clock_() - ticket.started >= slow) {
    outcome = CircuitBreaker::Outcome::kSlow;
  }
  breaker_.Record(ticket.admission, outcome);
  ticket.admission = CircuitBreaker::Admission::kRejected;
}

void BackendGuard::Abandon(Ticket& ticket) {
  if (ticket.holds_permit) {
    bulkhead_.Release();
    if (in_flight_gauge_) in_flight_gauge_->Decrement();
    ticket.holds_permit = false;
  }
  breaker_.Record(ticket.admission, CircuitBreaker::Outcome::kIgnored);
  ticket.admission = CircuitBreaker::Admission::kRejected;
}

absl::Status BackendGuard::Available() const {
  if (breaker_.WouldAdmit()) return absl::OkStatus();
  return WithRetryAfter(
      WithErrorCode(absl::UnavailableError(absl::StrCat(backend_, " is unavailable")),
                    "service_unavailable"),
      RetryAfterSeconds());
}

bool BackendGuard::IsBackendFailure(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return !HasErrorCode(status);
    default:
      return false;
  }
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewResilienceInterceptorFactory(std::shared_ptr<BackendGuard> guard) {
  return std::make_unique<ResilienceFactory>(std::move(guard));
}

}  // namespace mercato
