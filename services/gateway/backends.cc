#include "gateway/backends.h"

#include <grpcpp/client_context.h>

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/client.h"

namespace mercato::gateway {

Backends ConnectBackends(const GatewayConfig& config, Metrics& metrics) {
  Backends b;
  // One minter for every backend: each gets its own token, reused for half a minute.
  auto service_tokens =
      std::make_shared<auth::ServiceTokenMinter>("gateway", *config.identity.service_key);
  const std::pair<const char*, const std::string*> targets[] = {
      {"catalog", &config.catalog_address},
      {"cart", &config.cart_address},
      {"user", &config.user_address},
      {"checkout", &config.checkout_address}};
  for (const auto& [name, target] : targets) {
    BackendChannel backend = ConnectBackend(
        *target, metrics,
        {.backend = name, .policy = config.backends.at(name), .service_tokens = service_tokens});
    b.channels[name] = std::move(backend.channel);
    b.guards[name] = std::move(backend.guard);
  }
  b.catalog = catalog::v1::CatalogService::NewStub(b.channels["catalog"]);
  b.cart = cart::v1::CartService::NewStub(b.channels["cart"]);
  b.user = user::v1::UserService::NewStub(b.channels["user"]);
  b.checkout = checkout::v1::CheckoutService::NewStub(b.channels["checkout"]);
  if (config.cache_max_bytes > 0) {
    BackendPolicy unguarded = config.backends.at("catalog");
    unguarded.breaker.enabled = false;
    b.catalog_version = catalog::v1::CatalogService::NewStub(CreateChannel(
        config.catalog_address, metrics,
        {.backend = "catalog", .policy = unguarded, .service_tokens = service_tokens}));
  }
  return b;
}

namespace {

using HealthResponse = grpc::health::v1::HealthCheckResponse;

// One round of health checks: the states so far and how many backends have yet to answer.
class HealthRound {
 public:
  using Done = std::function<void(std::map<std::string, std::string>)>;
  HealthRound(int backends, Done done) : remaining_(backends), done_(std::move(done)) {}

  // Records one backend's state; the last one calls `done`.
  void Record(const std::string& name, std::string state) {
    std::map<std::string, std::string> states;
    {
      absl::MutexLock lock(&mu_);
      states_[name] = std::move(state);
      if (--remaining_ > 0) return;
      states.swap(states_);
    }
    done_(std::move(states));
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> states_ ABSL_GUARDED_BY(mu_);
  int remaining_ ABSL_GUARDED_BY(mu_);
  const Done done_;
};

// The call to one backend's health service, kept alive until its callback has run.
struct HealthCall {
  std::unique_ptr<grpc::health::v1::Health::Stub> stub;
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest request;
  HealthResponse response;
};

std::string StateOf(const grpc::Status& status, const HealthResponse& response) {
  if (!status.ok()) return "UNAVAILABLE";
  return response.status() == HealthResponse::SERVING ? "SERVING" : "NOT_SERVING";
}

}  // namespace

void CheckBackends(const Backends& backends, std::chrono::milliseconds timeout,
                   std::function<void(std::map<std::string, std::string>)> done) {
  if (backends.channels.empty()) return done({});
  auto round =
      std::make_shared<HealthRound>(static_cast<int>(backends.channels.size()), std::move(done));
  for (const auto& [name, channel] : backends.channels) {
    auto call = std::make_shared<HealthCall>();
    call->stub = grpc::health::v1::Health::NewStub(channel);
    call->ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    call->stub->async()->Check(&call->ctx, &call->request, &call->response,
                               [round, call, name = name](grpc::Status status) {
                                 round->Record(name, StateOf(status, call->response));
                               });
  }
}

}  // namespace mercato::gateway
