// The transactional outbox: a producing service records its events in its own database, in
// the same transaction as the state change, and the OutboxRelay (outbox_relay.h) publishes
// them after the commit. No event without its change, no change without its event.
//
//   // the service's migrations: its own files plus the outbox table
//   std::vector<EmbeddedFile> files = checkout::Migrations();
//   files.push_back(events::OutboxMigration(7));
//
//   // in a store method, inside the caller's transaction
//   pool.Transact([&](pqxx::work& tx) -> absl::Status {
//     tx.exec_params("UPDATE orders SET status = 'paid' WHERE id = $1", order_id);
//     v1::Envelope event = events::NewEvent("checkout");
//     event.mutable_order_paid()->set_order_id(order_id);
//     return events::AppendToOutbox(tx, event);   // after the UPDATE: see below
//   });
//
// Order per aggregate: the relay publishes by the outbox row's id, taken at the insert. Append
// an aggregate's event after the statement that changes (and so locks) that aggregate's row;
// then two transactions changing one aggregate insert their events in commit order.
#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/embedded_file.h"
#include "db/pg_pool.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::events {

// The `outbox` table (libs/events/sql/outbox.sql) as migration <version>_events_outbox.sql,
// and the consumers' `inbox` table as <version>_events_inbox.sql (consumer.h).
EmbeddedFile OutboxMigration(int version);
EmbeddedFile InboxMigration(int version);

// A producing (or consuming) service's schema: its own migrations plus the outbox as version
// `outbox_version` and, unless 0, the inbox as `inbox_version`, in version order.
//
//   const std::vector<EmbeddedFile>& Migrations() {   // services/checkout/migrations.cc
//     static const auto* all = new std::vector<EmbeddedFile>(
//         events::WithEventTables(OwnMigrations(), /*outbox_version=*/3, /*inbox_version=*/4));
//     return *all;
//   }
std::vector<EmbeddedFile> WithEventTables(const std::vector<EmbeddedFile>& own, int outbox_version,
                                          int inbox_version = 0);

// Seals `event` (contracts.h: Seal) and inserts it into the outbox within `tx`. Returns the
// seal's INVALID_ARGUMENT, or the database error as a status (the transaction is then
// unusable: return the error so that it rolls back).
absl::Status AppendToOutbox(pqxx::transaction_base& tx, v1::Envelope event);

// Deletes rows sent more than `retention` ago, `batch` rows per statement; returns how many.
absl::StatusOr<int64_t> DeleteSentOutboxRows(PgPool& pool, std::chrono::seconds retention,
                                             int batch = 1000);

// Deletes inbox rows processed more than `retention` ago (consumer.h).
absl::StatusOr<int64_t> DeleteOldInboxRows(PgPool& pool, std::chrono::seconds retention,
                                           int batch = 1000);

}  // namespace mercato::events
