// The checkout database's schema: its own files (migrations/*.sql, compiled in as
// OwnMigrations) and the outbox and the inbox (libs/events) as 003 and 004.
#include "db/migrations.h"

#include "events/outbox.h"

namespace mercato::checkout {

const std::vector<EmbeddedFile>& OwnMigrations();

const std::vector<EmbeddedFile>& Migrations() {
  static const auto* all = new std::vector<EmbeddedFile>(
      events::WithEventTables(OwnMigrations(), /*outbox_version=*/3, /*inbox_version=*/4));
  return *all;
}

}  // namespace mercato::checkout
