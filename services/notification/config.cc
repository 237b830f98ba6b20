#include "notification/config.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace mercato::notification {
namespace {

using std::chrono::milliseconds;

SmtpConfig ReadSmtpConfig(EnvReader& env) {
  SmtpConfig smtp;
  smtp.url = env.RequiredString("MERCATO_SMTP_URL");
  if (!smtp.url.empty() && !absl::StartsWith(smtp.url, "smtp://") &&
      !absl::StartsWith(smtp.url, "smtps://")) {
    env.AddError("MERCATO_SMTP_URL", "must start with smtp:// or smtps://");
  }
  smtp.username = env.String("MERCATO_SMTP_USERNAME", "");
  smtp.password = env.String("MERCATO_SMTP_PASSWORD", "");
  smtp.from = env.String("MERCATO_SMTP_FROM", "orders@mercato.local");
  if (smtp.from.find('@') == std::string::npos ||
      smtp.from.find_first_of("<>\r\n ") != std::string::npos) {
    env.AddError("MERCATO_SMTP_FROM", "must be a bare email address (name@domain)");
  }
  smtp.timeout = env.Millis("MERCATO_SMTP_TIMEOUT_MS", milliseconds(10000), milliseconds(100),
                            milliseconds(120000));
  return smtp;
}

// The part of libs/events' settings a consumer-only service has (no relay, no producer
// timeout of its own): brokers, retention, max attempts.
events::ConsumerOptions ReadConsumerOptions(EnvReader& env, std::chrono::hours& retention) {
  events::ConsumerOptions consumer;
  consumer.kafka.brokers = env.RequiredString("MERCATO_KAFKA_BROKERS");
  consumer.kafka.client_id = "notification";
  retention = std::chrono::hours(env.Int("MERCATO_OUTBOX_RETENTION_HOURS", 168, 1, 24 * 365));
  consumer.inbox_retention = retention;
  consumer.max_attempts = static_cast<int>(env.Int("MERCATO_EVENTS_MAX_ATTEMPTS", 5, 1, 1000));
  return consumer;
}

}  // namespace

absl::StatusOr<NotificationConfig> LoadNotificationConfig(EnvReader& env) {
  NotificationConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50057, /*default_admin_port=*/9107);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 4, 2, 200));
  c.user_address = env.String("MERCATO_USER_ADDR", "127.0.0.1:50053");
  c.backends = ReadBackendPolicies(env, {"user"});
  c.smtp = ReadSmtpConfig(env);
  c.shop_url =
      std::string(absl::StripSuffix(env.String("MERCATO_SHOP_URL", "http://127.0.0.1:8080"), "/"));
  c.send_interval = env.Millis("MERCATO_NOTIFICATION_SEND_INTERVAL_MS", milliseconds(200),
                               milliseconds(10), milliseconds(60000));
  c.consumer = ReadConsumerOptions(env, c.retention);
  c.identity = auth::ReadIdentityConfig(env, {.calls_others = true});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::notification
