// Outgoing gRPC calls: channels with the client metrics interceptor, and a ClientContext
// per call that carries the current request's identity and a bounded deadline.
//
//   auto channel = mercato::CreateChannel("catalog:50051", metrics);
//   auto stub = catalog::v1::CatalogService::NewStub(channel);
//   auto ctx = mercato::NewClientContext(config.rpc_timeout);
//   grpc::Status s = stub->GetProduct(ctx.get(), request, &product);
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <chrono>
#include <memory>
#include <string>

#include "metrics/metrics.h"

namespace mercato {

struct ChannelOptions {
  // A gRPC service config (JSON) applied as the channel's default: retry policies etc.
  std::string service_config_json;
};

std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target, Metrics& metrics,
                                             const ChannelOptions& options = {});

// A context for a call made on behalf of CurrentCall(): deadline now + timeout but never
// later than the incoming call's deadline; x-request-id, user id and role copied; a child
// W3C traceparent.
std::unique_ptr<grpc::ClientContext> NewClientContext(std::chrono::milliseconds timeout);

}  // namespace mercato
