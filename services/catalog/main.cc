// The catalog service: products, categories, search and inventory over gRPC.
#include <spdlog/spdlog.h>

#include "catalog/cache_refresher.h"
#include "catalog/catalog_service.h"
#include "catalog/config.h"
#include "catalog/postgres_catalog_store.h"
#include "catalog/reservation_expiry_sweeper.h"
#include "catalog/seed.h"
#include "common/logging.h"
#include "common/signals.h"
#include "db/migrations.h"
#include "rpc/server.h"

namespace mercato::catalog {
const std::vector<EmbeddedFile>& Migrations();
}

int main() {
  using namespace mercato;
  BlockTerminationSignals();
  EnvReader env;
  auto config = catalog::LoadCatalogConfig(env);
  if (!config.ok()) ExitWithConfigError("catalog", config.status());
  InitLogging("catalog", config->server.log_level);

  auto pool = PgPool::Create({.conninfo = config->database_url, .size = config->db_pool_size});
  if (!pool.ok()) {
    spdlog::critical("{}", pool.status().message());
    return 1;
  }
  if (auto applied = ApplyMigrations(**pool, catalog::Migrations()); !applied.ok()) {
    spdlog::critical("migrations failed: {}", applied.status().message());
    return 1;
  }
  catalog::PostgresCatalogStore store(**pool);
  if (config->seed_on_empty) {
    auto seed = catalog::BuiltInSeedCatalog();
    auto inserted = seed.ok() ? store.SeedIfEmpty(seed->categories, seed->products)
                              : absl::StatusOr<int>(seed.status());
    if (!inserted.ok()) {
      spdlog::critical("seeding failed: {}", inserted.status().message());
      return 1;
    }
    if (*inserted > 0) spdlog::info("seeded the empty catalog with {} products", *inserted);
  }

  catalog::ProductCache cache;
  catalog::CacheRefresher refresher(config->database_url, store, cache);
  if (auto s = refresher.LoadAll(); !s.ok()) {
    spdlog::critical("loading the catalog failed: {}", s);
    return 1;
  }
  refresher.Start();

  Metrics metrics("catalog");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->server.admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  BoundedExecutor executor("catalog-worker", config->server.worker_threads,
                           config->server.max_in_flight);
  catalog::CatalogService service(
      store, cache, refresher, executor,
      {.default_ttl = config->reservation_default_ttl, .max_ttl = config->reservation_max_ttl},
      &metrics.registry());
  catalog::ReservationExpirySweeper sweeper(store, refresher, metrics.registry(),
                                            {.interval = config->reservation_sweep_interval,
                                             .batch_size = config->reservation_sweep_batch});
  sweeper.Start();
  GrpcServer server({.service_name = "catalog",
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
  sweeper.Stop();
  refresher.Stop();
  return 0;
}
