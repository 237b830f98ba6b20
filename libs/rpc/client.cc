#include "rpc/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/call_context.h"
#include "rpc/interceptors.h"
#include "rpc/library_logs.h"

namespace mercato {
namespace {

// Calls spread over every address the name resolves to (every pod behind a headless
// Kubernetes Service) instead of gRPC's default pick_first, which sends everything to one.
// Servers end connections after a while (GrpcServer: max connection age), so clients
// resolve again and find replicas added since.
//
// Client-side health checking (grpc.health.v1 Watch): a connection counts only while its
// server answers SERVING, so a pod that is starting or draining gets no calls. It lets the
// headless Services publish not-ready pods (publishNotReadyAddresses): DNS then never answers
// "no such name" while a pod exists, which gRPC's resolver would back off from for up to two
// minutes (seen on a real cluster: a cart started before the catalog was ready could not
// reach it for over a minute).
std::string WithRoundRobin(const std::string& service_config) {
  nlohmann::json config = service_config.empty()
                              ? nlohmann::json::object()
                              : nlohmann::json::parse(service_config, nullptr, false);
  if (!config.is_object()) config = nlohmann::json::object();
  config["loadBalancingConfig"] =
      nlohmann::json::array({{{"round_robin", nlohmann::json::object()}}});
  config["healthCheckConfig"] = {{"serviceName", ""}};
  return config.dump();
}

}  // namespace

BackendChannel ConnectBackend(const std::string& target, Metrics& metrics,
                              const ChannelOptions& options) {
  RouteLibraryLogsToSpdlog();
  const std::string backend = options.backend.empty() ? target : options.backend;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // Reconnect quickly after a backend restarts (the default starts at 1 s and backs off to
  // 120 s, which would keep a shop half-broken long after the backend is back).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // The service config is ours (retries), never one a DNS TXT record might carry.
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  // A backend restarted elsewhere (a new container or pod address) is found by resolving the
  // name again; gRPC's default waits 30 s between resolutions.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  const std::string service_config =
      !options.service_config_json.empty()
          ? options.service_config_json
          : BackendServiceConfig(
                options.backend.empty() ? nullptr : IdempotentReadsOf(options.backend),
                options.policy);
  args.SetServiceConfigJSON(WithRoundRobin(service_config));
  auto guard = std::make_shared<BackendGuard>(backend, options.policy, &metrics);
  // Order matters: the metrics interceptor sees every call, including the ones the
  // resilience interceptor refuses (hijacks) without sending them.
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(NewClientMetricsInterceptorFactory(metrics));
  factories.push_back(NewResilienceInterceptorFactory(guard));
  if (options.service_tokens) {
    factories.push_back(NewServiceTokenInterceptorFactory(options.service_tokens, backend));
  }
  auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), args, std::move(factories));
  return {std::move(channel), std::move(guard)};
}

std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target, Metrics& metrics,
                                             const ChannelOptions& options) {
  return ConnectBackend(target, metrics, options).channel;
}

std::unique_ptr<grpc::ClientContext> NewClientContext(std::chrono::milliseconds timeout) {
  const CallContext& call = CurrentCall();
  auto ctx = std::make_unique<grpc::ClientContext>();
  const auto now = std::chrono::system_clock::now();
  ctx->set_deadline(std::min(now + timeout, call.deadline));
  if (!call.request_id.empty()) ctx->AddMetadata(kRequestIdKey, call.request_id);
  if (!call.traceparent.empty()) {
    ctx->AddMetadata(kTraceparentKey, ChildTraceparent(call.traceparent));
  }
  if (!call.access_token.empty()) {
    ctx->AddMetadata(kAuthorizationKey, "Bearer " + call.access_token);
  } else if (!call.user_id.empty()) {
    ctx->AddMetadata(kOnBehalfOfKey, call.user_id);
  }
  return ctx;
}

}  // namespace mercato
