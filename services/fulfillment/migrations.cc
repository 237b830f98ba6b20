// The fulfillment database's schema: its own files (migrations/*.sql, compiled in as
// OwnMigrations) and the outbox and the inbox (libs/events) as 002 and 003.
#include "db/migrations.h"

#include "events/outbox.h"
#include "fulfillment/postgres_fulfillment_store.h"

namespace mercato::fulfillment {

const std::vector<EmbeddedFile>& OwnMigrations();

const std::vector<EmbeddedFile>& Migrations() {
  static const auto* all = new std::vector<EmbeddedFile>(
      events::WithEventTables(OwnMigrations(), /*outbox_version=*/2, /*inbox_version=*/3));
  return *all;
}

}  // namespace mercato::fulfillment
