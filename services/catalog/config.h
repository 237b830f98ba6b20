// Configuration of the catalog service, from environment variables.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace mercato::catalog {

struct CatalogConfig {
  ServerConfig server;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/catalog
  std::string database_url;
  int db_pool_size = 8;
  // Load the built-in seed catalog when the products table is empty.
  bool seed_on_empty = true;
};

// Reads MERCATO_DATABASE_URL (required), MERCATO_DB_POOL_SIZE, MERCATO_CATALOG_SEED,
// MERCATO_BIND_ADDRESS and the shared server settings (config.h in libs/common).
absl::StatusOr<CatalogConfig> LoadCatalogConfig(EnvReader& env);

}  // namespace mercato::catalog
