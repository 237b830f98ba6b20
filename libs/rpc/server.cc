#include "rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "rpc/interceptors.h"
#include "rpc/library_logs.h"

namespace mercato {

GrpcServer::GrpcServer(GrpcServerOptions options, Metrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::AddService(grpc::Service* service) { services_.push_back(service); }

absl::Status GrpcServer::Start() {
  RouteLibraryLogsToSpdlog();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.bind_address, ":", options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  // Clients keep idle connections alive with pings every 30 s; accept them.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients reconnect every few minutes (calls in flight get 30 s to finish) and so resolve
  // the backend's name again: replicas added by autoscaling start receiving calls.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 300000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30000);
  for (grpc::Service* service : services_) builder.RegisterService(service);

  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(NewServerMetricsInterceptorFactory(metrics_));
  builder.experimental().SetInterceptorCreators(std::move(factories));

  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  spdlog::info("gRPC server for {} listening on {}:{}", options_.service_name,
               options_.bind_address, port_);
  return absl::OkStatus();
}

void GrpcServer::Shutdown() {
  if (server_ == nullptr || shut_down_) return;
  shut_down_ = true;
  spdlog::info("draining: health NOT_SERVING, waiting up to {} ms for in-flight calls",
               options_.shutdown_grace.count());
  const auto deadline = std::chrono::system_clock::now() + options_.shutdown_grace;
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Callers health-check their connections (rpc/client.cc): for a moment this server keeps
  // serving while they see NOT_SERVING and send new calls to other replicas. Without it, a
  // call picked just before the shutdown is refused or cancelled (seen in rolling restarts on
  // a real cluster).
  std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(std::chrono::milliseconds(2000),
                                                                  options_.shutdown_grace / 4));
  server_->Shutdown(deadline);
  server_->Wait();
  spdlog::info("gRPC server stopped");
}

}  // namespace mercato
