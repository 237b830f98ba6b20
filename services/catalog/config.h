// Configuration of the catalog service, from environment variables.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/config.h"
#include "events/config.h"

namespace mercato::catalog {

struct CatalogConfig {
  ServerConfig server;
  // Keys of its callers (and its own, and the access-token key where it needs them).
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/catalog
  std::string database_url;
  int db_pool_size = 8;
  // Load the built-in seed catalog when the products table is empty.
  bool seed_on_empty = true;
  // How long ReserveStock holds stock when the request says 0, and the most it may ask for.
  std::chrono::seconds reservation_default_ttl{900};
  std::chrono::seconds reservation_max_ttl{3600};
  // How often the expiry sweeper looks for held reservations past their expiry, and how many
  // it expires per transaction.
  std::chrono::milliseconds reservation_sweep_interval{1000};
  int reservation_sweep_batch = 100;
  // StockChanged events say low_stock at or below this many sellable units.
  int64_t low_stock_threshold = 5;
  // The broker, the outbox relay of its catalog events and the read model's consumer.
  events::EventsConfig events;
};

// Reads MERCATO_DATABASE_URL, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_CART_PUBLIC_KEY,
// MERCATO_CHECKOUT_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_PUBLIC_KEY (all required),
// MERCATO_DB_POOL_SIZE, MERCATO_CATALOG_SEED,
// MERCATO_RESERVATION_TTL_S, MERCATO_RESERVATION_MAX_TTL_S, MERCATO_RESERVATION_SWEEP_MS,
// MERCATO_RESERVATION_SWEEP_BATCH, MERCATO_LOW_STOCK_THRESHOLD, MERCATO_BIND_ADDRESS, the
// event settings (MERCATO_KAFKA_BROKERS required; events/config.h) and the shared server
// settings (config.h in libs/common).
absl::StatusOr<CatalogConfig> LoadCatalogConfig(EnvReader& env);

}  // namespace mercato::catalog
