// Versioned SQL migrations applied at startup.
//
// Files are named NNN_description.sql (001_init.sql, 002_add_index.sql) and compiled into
// the binary with mercato_embed_files(). ApplyMigrations() runs every version not yet applied
// in ONE transaction, under an advisory lock so that replicas starting together do not race,
// and records each in schema_migrations(version, name, checksum, applied_at). A migration
// already applied whose file content changed stops the start-up (checksum mismatch): applied
// migrations are never edited, a new one is added.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "common/embedded_file.h"
#include "db/pg_pool.h"

namespace mercato {

// Returns the number of migrations applied now (0 when the schema was current).
absl::StatusOr<int> ApplyMigrations(PgPool& pool, const std::vector<EmbeddedFile>& files);

// A service's start-up: connects the pool (checking the database is reachable) and brings
// the schema up to date.
absl::StatusOr<std::unique_ptr<PgPool>> OpenDatabase(PgPool::Options options,
                                                     const std::vector<EmbeddedFile>& migrations);

}  // namespace mercato
