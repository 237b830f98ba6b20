// The user service: accounts, credentials, sessions and address books over gRPC.
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/signals.h"
#include "db/migrations.h"
#include "rpc/server.h"
#include "user/access_token.h"
#include "user/config.h"
#include "user/postgres_user_store.h"
#include "user/user_service.h"

namespace mercato::user {
const std::vector<EmbeddedFile>& Migrations();
}

int main() {
  using namespace mercato;
  BlockTerminationSignals();
  EnvReader env;
  auto config = user::LoadUserConfig(env);
  if (!config.ok()) ExitWithConfigError("user", config.status());
  InitLogging("user", config->server.log_level);

  auto pool = PgPool::Create({.conninfo = config->database_url, .size = config->db_pool_size});
  if (!pool.ok()) {
    spdlog::critical("{}", pool.status().message());
    return 1;
  }
  if (auto applied = ApplyMigrations(**pool, user::Migrations()); !applied.ok()) {
    spdlog::critical("migrations failed: {}", applied.status().message());
    return 1;
  }
  user::PostgresUserStore store(**pool);
  user::AccessTokenIssuer issuer(config->jwt_secret, config->access_token_ttl);
  BoundedExecutor executor("user-worker", config->server.worker_threads,
                           config->server.max_in_flight);
  user::UserService service(store, issuer, executor,
                            {.refresh_token_ttl = config->refresh_token_ttl});
  if (!config->admin_email.empty()) {
    absl::Status admin = service.EnsureAdmin(config->admin_email, config->admin_password);
    if (admin.code() == absl::StatusCode::kInvalidArgument) ExitWithConfigError("user", admin);
    if (!admin.ok()) {
      spdlog::critical("could not set up the admin account: {}", admin);
      return 1;
    }
  }
  if (absl::Status s = service.PruneExpired(); !s.ok()) spdlog::warn("pruning failed: {}", s);

  Metrics metrics("user");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->server.admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  GrpcServer server({.service_name = "user",
                     .bind_address = config->bind_address,
                     .port = config->server.grpc_port,
                     .shutdown_grace = config->server.shutdown_grace},
                    metrics);
  server.AddService(&service);
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  const int signal_number = WaitForTerminationSignal();
  spdlog::info("received signal {}, shutting down", signal_number);
  server.Shutdown();
  executor.Shutdown();
  return 0;
}
