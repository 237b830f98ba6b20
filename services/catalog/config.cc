#include "catalog/config.h"

namespace mercato::catalog {

absl::StatusOr<CatalogConfig> LoadCatalogConfig(EnvReader& env) {
  CatalogConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50051, /*default_admin_port=*/9101);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 8, 1, 200));
  c.seed_on_empty = env.Bool("MERCATO_CATALOG_SEED", true);
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::catalog
