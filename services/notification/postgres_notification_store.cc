#include "notification/postgres_notification_store.h"

namespace mercato::notification {

absl::StatusOr<bool> PostgresNotificationStore::Enqueue(pqxx::work& tx, const QueuedEmail& email) {
  // A database error throws: the consumer's transaction turns it into a status.
  pqxx::result r = tx.exec_params(
      "INSERT INTO emails (event_id, kind, order_id, recipient, message) "
      "VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
      email.event_id, email.kind, email.order_id, email.recipient, email.message);
  return r.affected_rows() == 1;
}

absl::StatusOr<std::optional<QueuedEmail>> PostgresNotificationStore::ClaimNext() {
  std::optional<QueuedEmail> claimed;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec(
        "UPDATE emails SET status = 'sending', claimed_at = now(), updated_at = now(), "
        "attempts = attempts + 1 "
        "WHERE event_id = (SELECT event_id FROM emails "
        "  WHERE status = 'queued' AND next_attempt_at <= now() "
        "  ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING event_id::text, kind, order_id, recipient, message, attempts");
    if (r.empty()) return absl::OkStatus();
    const pqxx::row row = r[0];
    claimed = QueuedEmail{.event_id = row[0].as<std::string>(),
                          .kind = row[1].as<std::string>(),
                          .order_id = row[2].as<std::string>(),
                          .recipient = row[3].as<std::string>(),
                          .message = row[4].as<std::string>(),
                          .attempts = row[5].as<int>()};
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return claimed;
}

absl::Status PostgresNotificationStore::Settle(const std::string& event_id,
                                               const std::string& status,
                                               const std::string& error) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE emails SET status = $2, last_error = $3, updated_at = now() "
        "WHERE event_id = $1::uuid AND status = 'sending'",
        event_id, status, error);
    return absl::OkStatus();
  });
}

absl::Status PostgresNotificationStore::MarkSent(const std::string& event_id) {
  return Settle(event_id, "sent", "");
}

absl::Status PostgresNotificationStore::MarkFailed(const std::string& event_id,
                                                   const std::string& error) {
  return Settle(event_id, "failed", error);
}

absl::Status PostgresNotificationStore::MarkUnknown(const std::string& event_id,
                                                    const std::string& error) {
  return Settle(event_id, "unknown", error);
}

absl::Status PostgresNotificationStore::MarkRetry(const std::string& event_id,
                                                  std::chrono::milliseconds backoff,
                                                  const std::string& error) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE emails SET status = 'queued', last_error = $3, updated_at = now(), "
        "next_attempt_at = now() + $2 * interval '1 millisecond' "
        "WHERE event_id = $1::uuid AND status = 'sending'",
        event_id, static_cast<int64_t>(backoff.count()), error);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AbandonedEmail>> PostgresNotificationStore::MarkAbandoned(
    std::chrono::milliseconds older_than) {
  std::vector<AbandonedEmail> abandoned;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    abandoned.clear();
    pqxx::result r = tx.exec_params(
        "UPDATE emails SET status = 'unknown', updated_at = now(), "
        "last_error = 'abandoned while sending' "
        "WHERE status = 'sending' AND claimed_at < now() - $1 * interval '1 millisecond' "
        "RETURNING event_id::text, kind",
        static_cast<int64_t>(older_than.count()));
    for (const pqxx::row& row : r) {
      abandoned.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return abandoned;
}

absl::StatusOr<int64_t> PostgresNotificationStore::DeleteFinished(std::chrono::hours retention) {
  int64_t deleted = 0;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        "DELETE FROM emails WHERE status IN ('sent', 'failed', 'unknown') "
        "AND updated_at < now() - $1 * interval '1 hour'",
        static_cast<int64_t>(retention.count()));
    deleted = r.affected_rows();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

}  // namespace mercato::notification
