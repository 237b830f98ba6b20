// The payment database's schema: its own files (migrations/*.sql, compiled in as
// OwnMigrations) and the outbox (libs/events) as 003.
#include "db/migrations.h"

#include "events/outbox.h"

namespace mercato::payment {

const std::vector<EmbeddedFile>& OwnMigrations();

const std::vector<EmbeddedFile>& Migrations() {
  static const auto* all =
      new std::vector<EmbeddedFile>(events::WithEventTables(OwnMigrations(), /*outbox_version=*/3));
  return *all;
}

}  // namespace mercato::payment
