// Where the emails wait to be sent: one row per order event that calls for an email, keyed by
// the event id (migrations/001_emails.sql). The consumer inserts it in the transaction that
// records the event in the inbox; the sender (EmailSender) claims, sends and settles it.
//
//   store.Enqueue(tx, email);                    // in the consumer's transaction
//   auto next = store.ClaimNext();               // queued -> sending (committed)
//   ... send ...; store.MarkSent(next->event_id);
//
// A row left 'sending' (the process died, or lost its database, mid-send) is never sent
// again: MarkAbandoned turns it 'unknown'. "Never the same email twice" wins over "at least
// once": the SMTP server may well have it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mercato::notification {

struct QueuedEmail {
  std::string event_id;
  std::string kind;  // "order_paid", ... (email_templates.h)
  std::string order_id;
  std::string recipient;
  std::string message;  // the whole RFC 5322 message
  int attempts = 0;     // sends tried, the claimed one included
};

// An email some sender gave up on mid-send: its event id and kind (for the metric).
struct AbandonedEmail {
  std::string event_id;
  std::string kind;
};

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;

  // Inserts `email` as 'queued' within the consumer's transaction. Returns false (and changes
  // nothing) when there is already an email for that event.
  virtual absl::StatusOr<bool> Enqueue(pqxx::work& tx, const QueuedEmail& email) = 0;

  // Moves the oldest due queued email to 'sending' (attempts + 1) and commits; nullopt when
  // none is due. Concurrent senders never claim the same email.
  virtual absl::StatusOr<std::optional<QueuedEmail>> ClaimNext() = 0;

  virtual absl::Status MarkSent(const std::string& event_id) = 0;
  // Back to 'queued', due `backoff` from now.
  virtual absl::Status MarkRetry(const std::string& event_id, std::chrono::milliseconds backoff,
                                 const std::string& error) = 0;
  virtual absl::Status MarkFailed(const std::string& event_id, const std::string& error) = 0;
  virtual absl::Status MarkUnknown(const std::string& event_id, const std::string& error) = 0;

  // Every email 'sending' for longer than `older_than` becomes 'unknown'; returns them. A
  // live sender is done with its email within the SMTP timeout, so older claims were left
  // by a process that died.
  virtual absl::StatusOr<std::vector<AbandonedEmail>> MarkAbandoned(
      std::chrono::milliseconds older_than) = 0;

  // Deletes sent, failed and unknown emails finished more than `retention` ago.
  virtual absl::StatusOr<int64_t> DeleteFinished(std::chrono::hours retention) = 0;
};

}  // namespace mercato::notification
