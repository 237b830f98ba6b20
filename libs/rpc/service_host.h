// The start-up and shutdown every gRPC service shares, so that a main.cc only builds what is
// its own (store, service) in between:
//
//   int main() {
//     auto config = mercato::LoadConfigOrExit("cart", cart::LoadCartConfig);
//     mercato::ServiceHost host("cart", config.server, config.bind_address, config.identity);
//     auto pool = host.Require(mercato::OpenDatabase({...}, Migrations()), "database");
//     auto catalog = CreateChannel(..., {.backend = "catalog",
//                                        .service_tokens = host.service_tokens()});
//     cart::CartService service(store, host.executor());
//     return host.Serve({&service});
//   }
#pragma once

#include <grpcpp/impl/service_type.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "auth/service_token.h"
#include "common/config.h"
#include "common/executor.h"
#include "common/logging.h"
#include "common/memory_trim.h"
#include "common/signals.h"
#include "metrics/metrics.h"

namespace mercato {

// InitProcess() (SIGTERM/SIGINT blocked for every thread to come, ...), reads the configuration
// with `load` (exit 2 naming each bad variable), and starts JSON logging at the configured level.
// `load` is e.g. cart::LoadCartConfig; its config has a `server` (ServerConfig) member.
template <typename Loader>
auto LoadConfigOrExit(const char* service, Loader load) {
  InitProcess();
  EnvReader env;
  auto config = load(env);
  if (!config.ok()) ExitWithConfigError(service, config.status());
  InitLogging(service, config->server.log_level);
  return *std::move(config);
}

class ServiceHost {
 public:
  // Starts the admin /metrics endpoint (exits 1 if it cannot bind), the worker executor and
  // the idle memory trim (common/memory_trim.h: malloc_trim once the process has been quiet
  // for kIdleTrimPeriod, counted in mercato_idle_memory_trims_total), and installs the
  // authentication of every incoming call (rpc/call_auth.h): service tokens from the callers in
  // `identity`, shoppers' access tokens with its access-token key.
  ServiceHost(std::string name, const ServerConfig& server, std::string bind_address,
              const auth::IdentityConfig& identity);
  ~ServiceHost();

  Metrics& metrics() { return *metrics_; }
  BoundedExecutor& executor() { return *executor_; }
  // This service's tokens for the calls it makes (null when it calls no one): pass as
  // ChannelOptions::service_tokens.
  std::shared_ptr<auth::ServiceTokenMinter> service_tokens() const { return service_tokens_; }

  // For start-up steps: the value, or log "<what> failed: <status>" and exit 1.
  template <typename T>
  T Require(absl::StatusOr<T> value, const char* what) {
    if (!value.ok()) Fail(what, value.status());
    return *std::move(value);
  }
  void Require(const absl::Status& status, const char* what) {
    if (!status.ok()) Fail(what, status);
  }

  // Serves `services` until SIGTERM/SIGINT, then drains: health NOT_SERVING, new calls
  // refused, in-flight calls finish (up to the grace period), the executor empties. Then
  // `on_stop` runs (stop background threads). Returns the process exit code.
  int Serve(const std::vector<grpc::Service*>& services, const std::function<void()>& on_stop = {});

 private:
  [[noreturn]] void Fail(const char* what, const absl::Status& status);

  std::string name_;
  ServerConfig server_;
  std::string bind_address_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<BoundedExecutor> executor_;
  std::shared_ptr<auth::ServiceTokenMinter> service_tokens_;
  std::unique_ptr<IdleTrimmer> idle_trimmer_;
};

}  // namespace mercato
