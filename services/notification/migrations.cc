// The notification database's schema: its own files (migrations/*.sql, compiled in as
// OwnMigrations) and the consumers' inbox (libs/events) as 002. It publishes nothing: the
// outbox table is there only because libs/events adds both.
#include "db/migrations.h"

#include "events/outbox.h"

namespace mercato::notification {

const std::vector<EmbeddedFile>& OwnMigrations();

const std::vector<EmbeddedFile>& Migrations() {
  static const auto* all = new std::vector<EmbeddedFile>(
      events::WithEventTables(OwnMigrations(), /*outbox_version=*/2, /*inbox_version=*/3));
  return *all;
}

}  // namespace mercato::notification
