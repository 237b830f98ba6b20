// The resilience every channel gets (rpc/resilience.h), against a real gRPC server in this
// process: retries of idempotent reads through gRPC's service-config retry policy (and none
// for writes), the circuit breaker failing fast without a network call through sync and
// callback stubs alike, the half-open trial, the bulkhead, relayed failures not counting, and
// health checks passing an open breaker.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato {
namespace {

using catalog::v1::CatalogService;
using Clock = std::chrono::steady_clock;

// A catalog whose answers the test scripts: the next `fail_next` calls of any method fail
// with `failure`, later ones succeed; GetProduct can be made to wait for a release.
class ScriptedCatalog final : public CatalogService::Service {
 public:
  std::atomic<int> get_calls{0};
  std::atomic<int> reserve_calls{0};
  std::atomic<int> fail_next{0};
  grpc::Status failure{grpc::StatusCode::UNAVAILABLE, "scripted outage"};
  std::atomic<bool> hold{false};
  std::atomic<int> delay_ms{0};  // ReserveStock answers this late

  grpc::Status GetProduct(grpc::ServerContext*, const catalog::v1::GetProductRequest* request,
                          catalog::v1::Product* response) override {
    ++get_calls;
    if (hold) {
      std::unique_lock<std::mutex> lock(mu_);
      released_.wait(lock, [this] { return !hold.load(); });
    }
    if (fail_next.fetch_sub(1) > 0) return failure;
    response->set_id(request->id());
    return grpc::Status::OK;
  }

  grpc::Status ReserveStock(grpc::ServerContext*, const catalog::v1::ReserveStockRequest*,
                            catalog::v1::Reservation* response) override {
    ++reserve_calls;
    if (const int ms = delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (fail_next.fetch_sub(1) > 0) return failure;
    return grpc::Status::OK;
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold = false;
    released_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
};

class ResilienceGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&catalog_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  // A stub through CreateChannel with the given resilience spec (common/backend_policy.h),
  // applied on top of Hystrix's rolling rate alone (no consecutive-failure or slow-call
  // trigger, no deadline of the backend's own) unless the spec sets them.
  std::unique_ptr<CatalogService::Stub> Connect(const std::string& spec, int port = 0) {
    BackendPolicy policy;
    EXPECT_TRUE(
        ApplyBackendPolicySpec(
            "breaker_consecutive_failures=0,breaker_slow_call_ms=0,deadline_ms=0," + spec, policy)
            .ok());
    BackendChannel backend = ConnectBackend(absl::StrCat("127.0.0.1:", port ? port : port_),
                                            metrics_, {.backend = "catalog", .policy = policy});
    guard_ = backend.guard;
    channel_ = backend.channel;
    return CatalogService::NewStub(backend.channel);
  }

  static std::unique_ptr<grpc::ClientContext> Context(int ms = 2000) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
    return ctx;
  }

  absl::Status Get(CatalogService::Stub& stub, int deadline_ms = 2000) {
    catalog::v1::GetProductRequest request;
    request.set_id("p1");
    catalog::v1::Product product;
    auto ctx = Context(deadline_ms);
    return FromGrpcStatus(stub.GetProduct(ctx.get(), request, &product));
  }
  absl::Status Reserve(CatalogService::Stub& stub) {
    catalog::v1::ReserveStockRequest request;
    catalog::v1::Reservation reply;
    auto ctx = Context();
    return FromGrpcStatus(stub.ReserveStock(ctx.get(), request, &reply));
  }
  // The same call through the callback API.
  absl::Status ReserveAsync(CatalogService::Stub& stub) {
    catalog::v1::ReserveStockRequest request;
    catalog::v1::Reservation reply;
    auto ctx = Context();
    std::promise<grpc::Status> done;
    stub.async()->ReserveStock(ctx.get(), &request, &reply,
                               [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return FromGrpcStatus(done.get_future().get());
  }

  double Metric(const std::string& family, const std::map<std::string, std::string>& labels) {
    for (const auto& f : metrics_.registry().Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        bool match = true;
        for (const auto& [k, v] : labels) {
          bool found = false;
          for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
          match = match && found;
        }
        if (match) return f.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
      }
    }
    return -1;
  }

  ScriptedCatalog catalog_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  Metrics metrics_{"resilience-test"};
  std::shared_ptr<BackendGuard> guard_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ResilienceGrpcTest, AReadFailingTwiceWithUnavailableThenSucceedingSucceeds) {
  auto stub = Connect("");
  catalog_.fail_next = 2;
  EXPECT_TRUE(Get(*stub).ok());
  EXPECT_EQ(catalog_.get_calls, 3);
}

TEST_F(ResilienceGrpcTest, ANonIdempotentCallIsNeverRetried) {
  auto stub = Connect("");
  catalog_.fail_next = 2;
  absl::Status s = Reserve(*stub);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(catalog_.reserve_calls, 1);
}

TEST_F(ResilienceGrpcTest, OnlyUnavailableIsRetried) {
  auto stub = Connect("");
  catalog_.failure = grpc::Status(grpc::StatusCode::INTERNAL, "boom");
  catalog_.fail_next = 1;
  EXPECT_EQ(Get(*stub).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(catalog_.get_calls, 1);
}

TEST_F(ResilienceGrpcTest, RetryAttemptsAreConfigurable) {
  auto stub = Connect("retry_attempts=1");
  catalog_.fail_next = 1;
  EXPECT_EQ(Get(*stub).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(catalog_.get_calls, 1);
}

TEST_F(ResilienceGrpcTest, TheCallersDeadlineBoundsAllAttempts) {
  // Backoff far beyond the deadline: the call ends at its deadline, not after the attempts.
  auto stub = Connect("retry_attempts=5,retry_backoff_ms=2000,retry_max_backoff_ms=2000");
  catalog_.fail_next = 1000;
  const auto start = Clock::now();
  absl::Status s = Get(*stub, /*deadline_ms=*/300);
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(s.code() == absl::StatusCode::kDeadlineExceeded ||
              s.code() == absl::StatusCode::kUnavailable)
      << s;
  EXPECT_LT(elapsed, std::chrono::milliseconds(700));
  // gRPC waits random(0, backoff) before a retry: a second or even third attempt may fit.
  EXPECT_LE(catalog_.get_calls, 3);
}

// The breaker through one kind of stub: open after the volume threshold, then fail fast
// with no call reaching the server.
void ExpectFailFast(ResilienceGrpcTest* t, ScriptedCatalog& catalog,
                    const std::function<absl::Status()>& call) {
  catalog.fail_next = 1000000;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(call().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(catalog.reserve_calls, 20);
  for (int i = 0; i < 200; ++i) {
    const auto start = Clock::now();
    absl::Status s = call();
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(20));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ErrorCodeOf(s), "service_unavailable");
    EXPECT_TRUE(CallNotSent(s)) << s;
    EXPECT_GE(RetryAfterOf(s), 1);
  }
  EXPECT_EQ(catalog.reserve_calls, 20);  // none reached the backend
}

// Issue 19: a few failures in a row open the breaker whatever the volume.
TEST_F(ResilienceGrpcTest, ConsecutiveFailuresOpenTheBreakerAtAnyVolume) {
  auto stub = Connect("breaker_consecutive_failures=3");
  catalog_.fail_next = 1000;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(CallNotSent(Reserve(*stub)));
  absl::Status s = Reserve(*stub);
  EXPECT_TRUE(CallNotSent(s)) << s;
  EXPECT_EQ(catalog_.reserve_calls, 3);
}

TEST_F(ResilienceGrpcTest, SlowAnswersOpenTheBreakerToo) {
  auto stub = Connect("breaker_consecutive_failures=2,breaker_slow_call_ms=100");
  catalog_.delay_ms = 150;
  EXPECT_TRUE(Reserve(*stub).ok());  // answered, late
  EXPECT_TRUE(Reserve(*stub).ok());
  absl::Status s = Reserve(*stub);
  EXPECT_TRUE(CallNotSent(s)) << s;
  EXPECT_EQ(catalog_.reserve_calls, 2);
}

TEST_F(ResilienceGrpcTest, TheBackendsDeadlineBoundsACallWhateverTheCallersDeadline) {
  auto stub = Connect("deadline_ms=200");
  catalog_.delay_ms = 1500;
  const auto start = Clock::now();
  catalog::v1::ReserveStockRequest request;
  catalog::v1::Reservation reply;
  auto ctx = Context(5000);
  absl::Status s = FromGrpcStatus(stub->ReserveStock(ctx.get(), request, &reply));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_NE(s.message().find("catalog did not answer within 200 ms"), std::string::npos) << s;
  EXPECT_GE(elapsed, std::chrono::milliseconds(200));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
  // It counts against the backend like any deadline.
  EXPECT_EQ(guard_->breaker().WindowCounts(), (std::pair<int64_t, int64_t>(1, 1)));
  // A caller's own shorter deadline is left to gRPC.
  catalog_.delay_ms = 0;
  EXPECT_TRUE(Reserve(*stub).ok());
}

// A call refused at connection (nothing listens) certainly reached no backend: it is marked
// not sent, so that the caller may undo at once what it did for it.
TEST_F(ResilienceGrpcTest, ACallNoBackendCouldTakeIsMarkedNotSent) {
  int closed_port = 0;
  {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &closed_port);
    builder.RegisterService(&catalog_);
    auto server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    server->Shutdown();
  }
  auto stub = Connect("", closed_port);
  absl::Status s = Reserve(*stub);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(CallNotSent(s)) << s;
  EXPECT_EQ(ErrorCodeOf(s), "service_unavailable");
  // One that reached the backend and failed there is not.
  auto reachable = Connect("");
  catalog_.fail_next = 1;
  absl::Status failed = Reserve(*reachable);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_FALSE(CallNotSent(failed));
}

TEST_F(ResilienceGrpcTest, OpenBreakerFailsFastWithoutANetworkCallSyncStub) {
  auto stub = Connect("");
  ExpectFailFast(this, catalog_, [&] { return Reserve(*stub); });
  EXPECT_EQ(Metric("mercato_circuit_breaker_state", {{"backend", "catalog"}}), 1);
  EXPECT_EQ(Metric("mercato_circuit_breaker_opened_total", {{"backend", "catalog"}}), 1);
  EXPECT_EQ(
      Metric("mercato_client_rejected_total", {{"backend", "catalog"}, {"reason", "circuit_open"}}),
      200);
  // The refused calls are still counted by the client metrics, as UNAVAILABLE.
  EXPECT_EQ(Metric("grpc_client_handled_total",
                   {{"grpc_method", "ReserveStock"}, {"grpc_code", "UNAVAILABLE"}}),
            220);
}

TEST_F(ResilienceGrpcTest, OpenBreakerFailsFastWithoutANetworkCallCallbackStub) {
  auto stub = Connect("");
  ExpectFailFast(this, catalog_, [&] { return ReserveAsync(*stub); });
}

TEST_F(ResilienceGrpcTest, AfterTheSleepWindowOneTrialClosesTheBreaker) {
  auto stub = Connect("breaker_sleep_ms=300");
  catalog_.fail_next = 20;
  for (int i = 0; i < 20; ++i) (void)Reserve(*stub);
  ASSERT_EQ(guard_->breaker().state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(guard_->Available().ok());
  EXPECT_TRUE(CallNotSent(Reserve(*stub)));
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_TRUE(guard_->Available().ok());
  EXPECT_TRUE(Reserve(*stub).ok());  // the trial
  EXPECT_EQ(catalog_.reserve_calls, 21);
  EXPECT_EQ(guard_->breaker().state(), CircuitBreaker::State::kClosed);
  EXPECT_EQ(Metric("mercato_circuit_breaker_state", {{"backend", "catalog"}}), 0);
  EXPECT_TRUE(Reserve(*stub).ok());
}

TEST_F(ResilienceGrpcTest, AFailedTrialReopens) {
  auto stub = Connect("breaker_sleep_ms=200");
  catalog_.fail_next = 1000;
  for (int i = 0; i < 20; ++i) (void)Reserve(*stub);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_FALSE(CallNotSent(Reserve(*stub)));  // the trial reached the server and failed
  EXPECT_EQ(catalog_.reserve_calls, 21);
  EXPECT_TRUE(CallNotSent(Reserve(*stub)));
  EXPECT_EQ(guard_->breaker().state(), CircuitBreaker::State::kOpen);
}

TEST_F(ResilienceGrpcTest, AnswersWithAnErrorCodeDoNotTripTheBreaker) {
  // The backend is up and says that something behind it is not: not its own failure.
  auto stub = Connect("");
  catalog_.failure = ToGrpcStatus(
      ErrorWithCode(absl::StatusCode::kUnavailable, "payment_unavailable", "payment is down"));
  catalog_.fail_next = 100;
  for (int i = 0; i < 50; ++i) {
    absl::Status s = Reserve(*stub);
    EXPECT_EQ(ErrorCodeOf(s), "payment_unavailable");
  }
  EXPECT_EQ(guard_->breaker().state(), CircuitBreaker::State::kClosed);
  EXPECT_EQ(catalog_.reserve_calls, 50);
}

TEST_F(ResilienceGrpcTest, FailuresWithoutACodeReachTheCallerWithTheDefaultCode) {
  // So that relaying them upstream does not count against this service.
  auto stub = Connect("");
  catalog_.fail_next = 1;
  absl::Status s = Reserve(*stub);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "service_unavailable");
  EXPECT_FALSE(CallNotSent(s));
  EXPECT_FALSE(CallNotSent(FromGrpcStatus(ToGrpcStatus(s))));  // the mark is not relayed
}

TEST_F(ResilienceGrpcTest, NotFoundAndOtherAnswersCountAsSuccess) {
  auto stub = Connect("");
  catalog_.failure = grpc::Status(grpc::StatusCode::NOT_FOUND, "no such product");
  catalog_.fail_next = 100;
  for (int i = 0; i < 40; ++i) EXPECT_EQ(Reserve(*stub).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(guard_->breaker().state(), CircuitBreaker::State::kClosed);
}

TEST_F(ResilienceGrpcTest, TheBulkheadCapsCallsInFlight) {
  auto stub = Connect("max_in_flight=2,retry_attempts=1");
  catalog_.hold = true;
  std::vector<std::future<absl::Status>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::async(std::launch::async, [&] { return Get(*stub, 5000); }));
  }
  while (catalog_.get_calls < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto start = Clock::now();
  absl::Status refused = Get(*stub);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(20));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(CallNotSent(refused));
  EXPECT_EQ(catalog_.get_calls, 2);
  EXPECT_EQ(Metric("mercato_client_rejected_total",
                   {{"backend", "catalog"}, {"reason", "bulkhead_full"}}),
            1);
  EXPECT_EQ(Metric("mercato_client_in_flight", {{"backend", "catalog"}}), 2);
  catalog_.Release();
  for (auto& f : held) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(guard_->bulkhead().in_flight(), 0);
  EXPECT_TRUE(Get(*stub).ok());
}

TEST_F(ResilienceGrpcTest, HealthChecksPassAnOpenBreaker) {
  auto stub = Connect("");
  catalog_.fail_next = 1000;
  for (int i = 0; i < 20; ++i) (void)Reserve(*stub);
  ASSERT_EQ(guard_->breaker().state(), CircuitBreaker::State::kOpen);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  auto ctx = Context();
  EXPECT_TRUE(health->Check(ctx.get(), request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace mercato
