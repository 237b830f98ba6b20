// NotificationStore on PostgreSQL (the notification database, migrations/*.sql).
#pragma once

#include <vector>

#include "common/embedded_file.h"
#include "db/pg_pool.h"
#include "notification/notification_store.h"

namespace mercato::notification {

// The schema (migrations/*.sql compiled in, and libs/events' tables), for OpenDatabase().
const std::vector<EmbeddedFile>& Migrations();

class PostgresNotificationStore : public NotificationStore {
 public:
  explicit PostgresNotificationStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<bool> Enqueue(pqxx::work& tx, const QueuedEmail& email) override;
  absl::StatusOr<std::optional<QueuedEmail>> ClaimNext() override;
  absl::Status MarkSent(const std::string& event_id) override;
  absl::Status MarkRetry(const std::string& event_id, std::chrono::milliseconds backoff,
                         const std::string& error) override;
  absl::Status MarkFailed(const std::string& event_id, const std::string& error) override;
  absl::Status MarkUnknown(const std::string& event_id, const std::string& error) override;
  absl::StatusOr<std::vector<AbandonedEmail>> MarkAbandoned(
      std::chrono::milliseconds older_than) override;
  absl::StatusOr<int64_t> DeleteFinished(std::chrono::hours retention) override;

 private:
  // Sets the status (and last_error) of one email that is 'sending'.
  absl::Status Settle(const std::string& event_id, const std::string& status,
                      const std::string& error);

  PgPool& pool_;
};

}  // namespace mercato::notification
