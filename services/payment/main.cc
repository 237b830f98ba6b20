// The payment service: a sandbox card processor behind the CardProcessor interface, with
// idempotent authorizations and a state machine persisted in PostgreSQL, over gRPC.
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/signals.h"
#include "db/migrations.h"
#include "payment/config.h"
#include "payment/payment_metrics.h"
#include "payment/payment_service.h"
#include "payment/postgres_payment_store.h"
#include "payment/sandbox_card_processor.h"
#include "rpc/server.h"

int main() {
  using namespace mercato;
  BlockTerminationSignals();
  EnvReader env;
  auto config = payment::LoadPaymentConfig(env);
  if (!config.ok()) ExitWithConfigError("payment", config.status());
  InitLogging("payment", config->server.log_level);
  if (config->using_development_key) {
    spdlog::warn(
        "MERCATO_PAYMENT_FINGERPRINT_KEY is not set: card fingerprints use the public "
        "development key; set a secret key in production");
  }

  auto pool = PgPool::Create({.conninfo = config->database_url, .size = config->db_pool_size});
  if (!pool.ok()) {
    spdlog::critical("{}", pool.status().message());
    return 1;
  }
  if (auto applied = ApplyMigrations(**pool, payment::Migrations()); !applied.ok()) {
    spdlog::critical("migrations failed: {}", applied.status().message());
    return 1;
  }
  payment::PostgresPaymentStore store(**pool);
  payment::SandboxCardProcessor processor;

  Metrics metrics("payment");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->server.admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  payment::PaymentMetrics payment_metrics(metrics.registry());
  BoundedExecutor executor("payment-worker", config->server.worker_threads,
                           config->server.max_in_flight);
  payment::PaymentService service(
      store, processor, executor, payment_metrics,
      {.fingerprint_key = config->fingerprint_key, .max_amount = config->max_amount});
  GrpcServer server({.service_name = "payment",
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
