// The loop that sends the queued emails (NotificationStore) over a MailTransport, one at a
// time, every `interval` (MERCATO_NOTIFICATION_SEND_INTERVAL_MS):
//
//   EmailSender sender(store, smtp, metrics, {.from = config.smtp.from, ...});
//   sender.Start();   ...   sender.Stop();   // the email in hand is finished first
//
// Each email: claimed ('sending', committed) -> sent -> 'sent'. A transient failure (no
// server, a 4xx) queues it again with a doubling backoff; a 5xx queues it again until
// `max_permanent_attempts`, then 'failed'. A lost answer after the whole message went out, or
// a claim older than the SMTP timeout (its sender died), makes it 'unknown' and it is never
// sent again: the server may have it, and the same email twice is worse than one lost.
// Logs name the event id and kind only, never the address or the message.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/periodic_task.h"
#include "notification/notification_metrics.h"
#include "notification/notification_store.h"
#include "notification/smtp_transport.h"

namespace mercato::notification {

struct EmailSenderOptions {
  std::string from = "orders@mercato.local";
  std::chrono::milliseconds interval{200};
  // A 'sending' claim older than this was left by a process that died: the SMTP timeout plus
  // a margin, since a live sender gives up on its conversation within the timeout.
  std::chrono::milliseconds abandoned_after{12000};
  // Backoff after the first failed attempt, doubling per attempt up to max_backoff.
  std::chrono::milliseconds backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  int max_permanent_attempts = 3;
  // Finished emails are deleted this long after; looked for every cleanup_interval.
  std::chrono::hours retention{168};
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(10)};
};

class EmailSender {
 public:
  EmailSender(NotificationStore& store, MailTransport& transport, NotificationMetrics& metrics,
              EmailSenderOptions options);
  ~EmailSender();  // Stop()

  void Start();
  // Waits for the email being sent, then stops.
  void Stop();

  // One pass: abandoned claims -> 'unknown', then every due email (until stopping). Returns
  // how many were claimed.
  absl::StatusOr<int> SendDue();

 private:
  absl::Status MarkAbandoned();
  absl::Status SendOne(const QueuedEmail& email);
  absl::Status Settle(const QueuedEmail& email, const SendResult& result);
  std::chrono::milliseconds BackoffFor(int attempts) const;
  void CleanUpIfDue();

  NotificationStore& store_;
  MailTransport& transport_;
  NotificationMetrics& metrics_;
  const EmailSenderOptions options_;
  std::chrono::steady_clock::time_point next_cleanup_;
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace mercato::notification
