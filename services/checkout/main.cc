// The checkout service: the order saga (cart -> priced order -> reserved stock -> captured
// payment -> paid order) over gRPC, with the orders in PostgreSQL and a recovery loop that
// finishes every order a crash left behind.
#include <spdlog/spdlog.h>

#include "checkout/checkout_metrics.h"
#include "checkout/checkout_service.h"
#include "checkout/config.h"
#include "checkout/order_recovery.h"
#include "checkout/order_saga.h"
#include "checkout/postgres_checkout_store.h"
#include "common/logging.h"
#include "common/signals.h"
#include "db/migrations.h"
#include "rpc/client.h"
#include "rpc/server.h"

int main() {
  using namespace mercato;
  BlockTerminationSignals();
  EnvReader env;
  auto config = checkout::LoadCheckoutConfig(env);
  if (!config.ok()) ExitWithConfigError("checkout", config.status());
  InitLogging("checkout", config->server.log_level);

  auto pool = PgPool::Create({.conninfo = config->database_url, .size = config->db_pool_size});
  if (!pool.ok()) {
    spdlog::critical("{}", pool.status().message());
    return 1;
  }
  if (auto applied = ApplyMigrations(**pool, checkout::Migrations()); !applied.ok()) {
    spdlog::critical("migrations failed: {}", applied.status().message());
    return 1;
  }
  checkout::PostgresCheckoutStore store(**pool);

  Metrics metrics("checkout");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->server.admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  checkout::CheckoutMetrics checkout_metrics(metrics.registry());
  auto connect = [&](const std::string& target, const std::string& name) {
    return ConnectBackend(target, metrics, {.backend = name, .policy = config->backends.at(name)});
  };
  auto catalog =
      catalog::v1::CatalogService::NewStub(connect(config->catalog_address, "catalog").channel);
  auto cart = cart::v1::CartService::NewStub(connect(config->cart_address, "cart").channel);
  BackendChannel payment_channel = connect(config->payment_address, "payment");
  auto payment = payment::v1::PaymentService::NewStub(payment_channel.channel);
  checkout::OrderSaga saga(
      store, *catalog, *cart, *payment, checkout_metrics,
      {.rpc_timeout = config->server.rpc_timeout,
       .reservation_ttl = config->reservation_ttl,
       .lease = absl::FromChrono(config->lease),
       .payment_grace = absl::FromChrono(config->payment_grace),
       .payment_available = [guard = payment_channel.guard] { return guard->Available(); }});
  BoundedExecutor executor("checkout-worker", config->server.worker_threads,
                           config->server.max_in_flight);
  checkout::CheckoutService service(store, saga, executor);
  checkout::StalledOrderRecovery recovery(
      store, saga,
      {.interval = config->recovery_interval, .lease = absl::FromChrono(config->lease)});
  GrpcServer server({.service_name = "checkout",
                     .bind_address = config->bind_address,
                     .port = config->server.grpc_port,
                     .shutdown_grace = config->server.shutdown_grace},
                    metrics);
  server.AddService(&service);
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  // First pass at once: whatever a previous process left unfinished (once its leases end).
  recovery.Start();
  spdlog::info("checkout listening on {}:{}; catalog {}, cart {}, payment {}", config->bind_address,
               server.port(), config->catalog_address, config->cart_address,
               config->payment_address);
  const int signal_number = WaitForTerminationSignal();
  spdlog::info("received signal {}, shutting down", signal_number);
  server.Shutdown();
  executor.Shutdown();
  recovery.Stop();
  return 0;
}
