#include "catalog/config.h"

namespace mercato::catalog {

absl::StatusOr<CatalogConfig> LoadCatalogConfig(EnvReader& env) {
  CatalogConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50051, /*default_admin_port=*/9101);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 8, 1, 200));
  c.seed_on_empty = env.Bool("MERCATO_CATALOG_SEED", true);
  c.reservation_default_ttl =
      std::chrono::seconds(env.Int("MERCATO_RESERVATION_TTL_S", 900, 1, 86400));
  c.reservation_max_ttl =
      std::chrono::seconds(env.Int("MERCATO_RESERVATION_MAX_TTL_S", 3600, 1, 86400));
  if (c.reservation_default_ttl > c.reservation_max_ttl) {
    env.AddError("MERCATO_RESERVATION_TTL_S",
                 "must not be greater than MERCATO_RESERVATION_MAX_TTL_S");
  }
  c.reservation_sweep_interval =
      env.Millis("MERCATO_RESERVATION_SWEEP_MS", std::chrono::milliseconds(1000),
                 std::chrono::milliseconds(10), std::chrono::milliseconds(3600000));
  c.reservation_sweep_batch =
      static_cast<int>(env.Int("MERCATO_RESERVATION_SWEEP_BATCH", 100, 1, 10000));
  c.low_stock_threshold = env.Int("MERCATO_LOW_STOCK_THRESHOLD", 5, 0, 1000000000);
  c.events = events::ReadEventsConfig(env, "catalog");
  c.identity = auth::ReadIdentityConfig(
      env, {.callers = {"gateway", "cart", "checkout"}, .verifies_access_tokens = true});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::catalog
