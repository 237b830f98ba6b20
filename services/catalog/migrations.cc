// The catalog database's schema: its own files (migrations/*.sql, compiled in as
// OwnMigrations) and the outbox and the inbox (libs/events) as 005 and 006.
#include "db/migrations.h"

#include "events/outbox.h"

namespace mercato::catalog {

const std::vector<EmbeddedFile>& OwnMigrations();

const std::vector<EmbeddedFile>& Migrations() {
  static const auto* all = new std::vector<EmbeddedFile>(
      events::WithEventTables(OwnMigrations(), /*outbox_version=*/5, /*inbox_version=*/6));
  return *all;
}

}  // namespace mercato::catalog
