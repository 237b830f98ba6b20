// Bootstrap shared by every gRPC service: grpc.health.v1 health service, server reflection,
// metrics interceptors, and a graceful drain.
//
//   mercato::GrpcServer server({.service_name = "catalog", .port = 50051}, metrics);
//   server.AddService(&catalog_service);
//   if (auto s = server.Start(); !s.ok()) ...
//   mercato::WaitForTerminationSignal();
//   server.Shutdown();   // NOT_SERVING, stop accepting, drain up to shutdown_grace, exit
#pragma once

#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "metrics/metrics.h"

namespace mercato {

struct GrpcServerOptions {
  std::string service_name;
  std::string bind_address = "0.0.0.0";
  // 0 picks a free port; port() tells which.
  int port = 0;
  std::chrono::milliseconds shutdown_grace{10000};
  int max_receive_message_bytes = 4 * 1024 * 1024;
};

class GrpcServer {
 public:
  GrpcServer(GrpcServerOptions options, Metrics& metrics);
  ~GrpcServer();

  // Before Start(). The service must outlive the server.
  void AddService(grpc::Service* service);
  // Binds and starts serving; health SERVING. UNAVAILABLE when the port cannot be bound.
  absl::Status Start();
  int port() const { return port_; }

  // Health to NOT_SERVING (load balancers, probes and health-checking clients stop sending),
  // keep serving for min(2 s, shutdown_grace / 4) while they turn away, then stop accepting
  // new calls, let in-flight calls finish until shutdown_grace has passed, then cancel what
  // remains.
  // Returns when the server has stopped. Idempotent.
  void Shutdown();

  grpc::Server* server() { return server_.get(); }

 private:
  GrpcServerOptions options_;
  Metrics& metrics_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace mercato
