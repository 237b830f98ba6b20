#include "rpc/service_host.h"

#include <prometheus/counter.h>
#include <spdlog/spdlog.h>

#include "rpc/call_auth.h"
#include "rpc/server.h"

namespace mercato {

ServiceHost::ServiceHost(std::string name, const ServerConfig& server, std::string bind_address,
                         const auth::IdentityConfig& identity)
    : name_(std::move(name)),
      server_(server),
      bind_address_(std::move(bind_address)),
      metrics_(std::make_unique<Metrics>(name_)) {
  Require(metrics_->StartAdminServer(bind_address_, server_.admin_port), "metrics endpoint");
  executor_ = std::make_unique<BoundedExecutor>(name_ + "-worker", server_.worker_threads,
                                                server_.max_in_flight);
  if (identity.service_key) {
    service_tokens_ = std::make_shared<auth::ServiceTokenMinter>(name_, *identity.service_key);
  }
  std::optional<auth::AccessTokenVerifier> users;
  if (identity.access_token_key) users.emplace(*identity.access_token_key, auth::kServiceClockSkew);
  InstallCallAuthenticator(std::make_shared<CallAuthenticator>(
      auth::ServiceTokenVerifier(name_, identity.callers), std::move(users)));
  idle_trimmer_ = StartIdleMemoryTrim(metrics_->registry());
}

ServiceHost::~ServiceHost() = default;

void ServiceHost::Fail(const char* what, const absl::Status& status) {
  spdlog::critical("{} failed: {}", what, status);
  std::exit(1);
}

int ServiceHost::Serve(const std::vector<grpc::Service*>& services,
                       const std::function<void()>& on_stop) {
  GrpcServer server({.service_name = name_,
                     .bind_address = bind_address_,
                     .port = server_.grpc_port,
                     .shutdown_grace = server_.shutdown_grace},
                    *metrics_);
  for (grpc::Service* service : services) server.AddService(service);
  Require(server.Start(), "gRPC server");
  const int signal_number = WaitForTerminationSignal();
  spdlog::info("received signal {}, shutting down", signal_number);
  server.Shutdown();
  executor_->Shutdown();
  if (on_stop) on_stop();
  spdlog::info("{} stopped", name_);
  return 0;
}

}  // namespace mercato
