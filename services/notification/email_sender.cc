#include "notification/email_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/fmt_absl.h"

namespace mercato::notification {

EmailSender::EmailSender(NotificationStore& store, MailTransport& transport,
                         NotificationMetrics& metrics, EmailSenderOptions options)
    : store_(store),
      transport_(transport),
      metrics_(metrics),
      options_(std::move(options)),
      next_cleanup_(std::chrono::steady_clock::now()) {}

EmailSender::~EmailSender() { Stop(); }

void EmailSender::Start() {
  task_ = std::make_unique<PeriodicTask>("email sender", options_.interval,
                                         [this] { return SendDue().status(); });
  task_->Start();
}

void EmailSender::Stop() {
  if (task_) task_->Stop();
}

absl::StatusOr<int> EmailSender::SendDue() {
  if (absl::Status s = MarkAbandoned(); !s.ok()) return s;
  CleanUpIfDue();
  int claimed = 0;
  while (!task_ || !task_->stopping()) {
    auto email = store_.ClaimNext();
    if (!email.ok()) return email.status();
    if (!email->has_value()) break;
    ++claimed;
    if (absl::Status s = SendOne(**email); !s.ok()) return s;
  }
  return claimed;
}

absl::Status EmailSender::MarkAbandoned() {
  auto abandoned = store_.MarkAbandoned(options_.abandoned_after);
  if (!abandoned.ok()) return abandoned.status();
  for (const AbandonedEmail& email : *abandoned) {
    spdlog::warn("email of event {} ({}) was left mid-send; marked unknown, not resent",
                 email.event_id, email.kind);
    metrics_.CountEmail(email.kind, "unknown");
  }
  return absl::OkStatus();
}

absl::Status EmailSender::SendOne(const QueuedEmail& email) {
  const SendResult result = transport_.Send(options_.from, email.recipient, email.message);
  return Settle(email, result);
}

absl::Status EmailSender::Settle(const QueuedEmail& email, const SendResult& result) {
  switch (result.outcome) {
    case SendOutcome::kSent:
      spdlog::info("email of event {} ({}) sent", email.event_id, email.kind);
      metrics_.CountEmail(email.kind, "sent");
      return store_.MarkSent(email.event_id);
    case SendOutcome::kUnknown:
      spdlog::warn(
          "email of event {} ({}): answer lost after the message went out ({}); "
          "marked unknown, not resent",
          email.event_id, email.kind, result.error);
      metrics_.CountEmail(email.kind, "unknown");
      return store_.MarkUnknown(email.event_id, result.error);
    case SendOutcome::kPermanent:
      if (email.attempts >= options_.max_permanent_attempts) {
        spdlog::error("email of event {} ({}) refused after {} attempts: {}", email.event_id,
                      email.kind, email.attempts, result.error);
        metrics_.CountEmail(email.kind, "failed");
        return store_.MarkFailed(email.event_id, result.error);
      }
      break;
    case SendOutcome::kTransient:
      break;
  }
  spdlog::warn("email of event {} ({}) not sent, attempt {}: {}", email.event_id, email.kind,
               email.attempts, result.error);
  metrics_.CountEmail(email.kind, "retried");
  return store_.MarkRetry(email.event_id, BackoffFor(email.attempts), result.error);
}

std::chrono::milliseconds EmailSender::BackoffFor(int attempts) const {
  std::chrono::milliseconds backoff = options_.backoff;
  for (int i = 1; i < attempts && backoff < options_.max_backoff; ++i) backoff *= 2;
  return std::min(backoff, options_.max_backoff);
}

void EmailSender::CleanUpIfDue() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_cleanup_) return;
  next_cleanup_ = now + options_.cleanup_interval;
  auto deleted = store_.DeleteFinished(options_.retention);
  if (!deleted.ok()) {
    spdlog::warn("deleting finished emails failed: {}", deleted.status());
  } else if (*deleted > 0) {
    spdlog::info("deleted {} finished emails", *deleted);
  }
}

}  // namespace mercato::notification
