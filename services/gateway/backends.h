// The gRPC backends the gateway calls: one channel and stub per service. Route handlers use
// the StubInterface so tests can substitute gMock stubs.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gateway/config.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "metrics/metrics.h"
#include "rpc/resilience.h"

namespace mercato::gateway {

struct Backends {
  std::unique_ptr<catalog::v1::CatalogService::StubInterface> catalog;
  std::unique_ptr<cart::v1::CartService::StubInterface> cart;
  std::unique_ptr<user::v1::UserService::StubInterface> user;
  std::unique_ptr<checkout::v1::CheckoutService::StubInterface> checkout;
  // The response cache's version poll (catalog_routes.cc): a channel of its own without a
  // circuit breaker, so that polls failing while the catalog starts never open the breaker
  // that shoppers' calls pass (they would get 503 for its sleep window after the catalog is
  // up). Null when the cache is off, and in unit tests.
  std::unique_ptr<catalog::v1::CatalogService::StubInterface> catalog_version;

  // Channels by backend name, for readiness checks. Empty in unit tests.
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  // Their circuit breakers and bulkheads (rpc/resilience.h). Empty in unit tests.
  std::map<std::string, std::shared_ptr<BackendGuard>> guards;
};

// Every call carries the gateway's service token (config.identity.service_key).
Backends ConnectBackends(const GatewayConfig& config, Metrics& metrics);

// Asks every backend's grpc.health.v1 service at once, asynchronously; when all have answered
// (or timed out) calls `done` with name -> "SERVING", "NOT_SERVING" or "UNAVAILABLE", on a
// gRPC thread (at once when there are no backends).
void CheckBackends(const Backends& backends, std::chrono::milliseconds timeout,
                   std::function<void(std::map<std::string, std::string>)> done);

}  // namespace mercato::gateway
