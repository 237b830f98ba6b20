// A database of its own on the shared test PostgreSQL (support/postgres.h) with a service's
// migrations applied, for the integration tests of that service's store:
//
//   auto db = MigratedDatabase("payment_store_test", {.size = 16}, Migrations());
//   ASSERT_TRUE(db.ok()) << db.status();
//   pool_ = db->pool.release();
//
// Header-only: the tests that include it link mercato_db.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/embedded_file.h"
#include "db/migrations.h"
#include "db/pg_pool.h"
#include "support/postgres.h"

namespace mercato::testing {

struct Migrated {
  std::string url;
  std::unique_ptr<PgPool> pool;
  int applied = 0;  // migrations applied (all of them: the database is new)
};

// Creates (again, empty) `database`, opens a pool on it with `options` (its conninfo set
// here) and applies `migrations`.
inline absl::StatusOr<Migrated> MigratedDatabase(const std::string& database,
                                                 PgPool::Options options,
                                                 const std::vector<EmbeddedFile>& migrations) {
  Migrated out;
  out.url = PostgresServer::Shared()->CreateDatabase(database);
  options.conninfo = out.url;
  auto pool = PgPool::Create(std::move(options));
  if (!pool.ok()) return pool.status();
  out.pool = std::move(*pool);
  auto applied = ApplyMigrations(*out.pool, migrations);
  if (!applied.ok()) return applied.status();
  out.applied = *applied;
  return out;
}

}  // namespace mercato::testing
