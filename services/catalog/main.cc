// The catalog service: products, categories, search and inventory over gRPC. Its catalog
// events leave through the outbox relay, and come back to keep every replica's cache current.
#include <spdlog/spdlog.h>

#include "catalog/cache_refresher.h"
#include "catalog/catalog_service.h"
#include "catalog/config.h"
#include "catalog/postgres_catalog_store.h"
#include "catalog/read_model_events.h"
#include "catalog/reservation_expiry_sweeper.h"
#include "catalog/seed.h"
#include "db/migrations.h"
#include "events/consumer.h"
#include "events/outbox_relay.h"
#include "rpc/service_host.h"

namespace mercato::catalog {
const std::vector<EmbeddedFile>& Migrations();
}

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("catalog", catalog::LoadCatalogConfig);
  ServiceHost host("catalog", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                catalog::Migrations()),
                   "database");
  catalog::PostgresCatalogStore store(*pool, config.low_stock_threshold);
  if (config.seed_on_empty) {
    auto seed = host.Require(catalog::BuiltInSeedCatalog(), "reading the seed catalog");
    const int inserted = host.Require(store.SeedIfEmpty(seed.categories, seed.products), "seeding");
    if (inserted > 0) spdlog::info("seeded the empty catalog with {} products", inserted);
  }
  catalog::ProductCache cache;
  catalog::CacheRefresher refresher(config.database_url, store, cache);
  host.Require(refresher.LoadAll(), "loading the catalog");
  refresher.Start();
  catalog::CatalogService service(
      store, cache, refresher, host.executor(),
      {.default_ttl = config.reservation_default_ttl, .max_ttl = config.reservation_max_ttl},
      &host.metrics().registry());
  catalog::ReservationExpirySweeper sweeper(store, refresher, host.metrics().registry(),
                                            {.interval = config.reservation_sweep_interval,
                                             .batch_size = config.reservation_sweep_batch});
  sweeper.Start();
  auto relay =
      host.Require(events::OutboxRelay::Create(*pool, config.events.kafka,
                                               host.metrics().registry(), config.events.relay),
                   "the outbox relay");
  relay->Start();
  auto read_model =
      host.Require(events::EventConsumer::Create(
                       catalog::ReadModelConsumerOptions(config.events.consumer), *pool,
                       catalog::ReadModelHandler(refresher), host.metrics().registry()),
                   "the catalog events consumer");
  read_model->Start();
  return host.Serve({&service}, [&] {
    sweeper.Stop();
    read_model->Stop();
    relay->Stop();
    refresher.Stop();
  });
}
