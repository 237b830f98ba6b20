// Outgoing gRPC calls: channels with the client metrics interceptor, the backend's
// resilience (circuit breaker, bulkhead, retries of idempotent reads: rpc/resilience.h) and
// this service's identity (a service token on every call: auth/service_token.h), and a
// ClientContext per call that carries the current request's user and a bounded deadline.
//
//   auto channel = mercato::CreateChannel("catalog:50051", metrics,
//                                         {.backend = "catalog", .policy = policies["catalog"],
//                                          .service_tokens = host.service_tokens()});
//   auto stub = catalog::v1::CatalogService::NewStub(channel);
//   auto ctx = mercato::NewClientContext(config.rpc_timeout);
//   grpc::Status s = stub->GetProduct(ctx.get(), request, &product);
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <chrono>
#include <memory>
#include <string>

#include "auth/service_token.h"
#include "common/backend_policy.h"
#include "metrics/metrics.h"
#include "rpc/resilience.h"

namespace mercato {

struct ChannelOptions {
  // A gRPC service config (JSON) applied as the channel's default. Empty: the retry policy
  // for the backend's idempotent reads (BackendServiceConfig: deadline and retries).
  std::string service_config_json;
  // The backend's name as in deploy/services.json ("catalog"): labels its metrics and picks
  // its idempotent reads. Empty: the target, and nothing is retried.
  std::string backend;
  // Breaker, bulkhead and retries (defaults: common/backend_policy.h).
  BackendPolicy policy;
  // Mints this service's token for `backend`, put on every call (x-mercato-service-token).
  // Null: calls carry none, and Mercato backends refuse them.
  std::shared_ptr<auth::ServiceTokenMinter> service_tokens;
};

// A channel and the guard (breaker, bulkhead) every call on it passes.
struct BackendChannel {
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<BackendGuard> guard;
};

BackendChannel ConnectBackend(const std::string& target, Metrics& metrics,
                              const ChannelOptions& options = {});
// ConnectBackend(...).channel.
std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target, Metrics& metrics,
                                             const ChannelOptions& options = {});

// A context for a call made on behalf of CurrentCall(): deadline now + timeout but never
// later than the incoming call's deadline; x-request-id copied; a child W3C traceparent; the
// user: the shopper's access token where there is one (the gateway forwards it), else the
// user id this service acts for as x-mercato-on-behalf-of (only callees that trust this
// service for it believe it). The channel adds the service token.
std::unique_ptr<grpc::ClientContext> NewClientContext(std::chrono::milliseconds timeout);

}  // namespace mercato
