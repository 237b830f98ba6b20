// Configuration of the notification service, from environment variables.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "auth/identity_config.h"
#include "common/backend_policy.h"
#include "common/config.h"
#include "events/consumer.h"

namespace mercato::notification {

struct SmtpConfig {
  // smtp://host:port (STARTTLS when the server offers it) or smtps://host:port (TLS).
  std::string url;
  // Empty: no login.
  std::string username;
  std::string password;  // never logged
  std::string from = "orders@mercato.local";
  // Limit for one email's whole SMTP conversation.
  std::chrono::milliseconds timeout{10000};
};

struct NotificationConfig {
  ServerConfig server;
  // Its own key (it calls the user service); nobody calls it.
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/notification
  std::string database_url;
  int db_pool_size = 4;
  std::string user_address;
  // Breaker, bulkhead and retries of the calls to "user".
  std::map<std::string, BackendPolicy> backends;
  SmtpConfig smtp;
  // The storefront's public URL, for the links in emails (no trailing slash).
  std::string shop_url = "http://127.0.0.1:8080";
  // How often queued emails are looked for and sent.
  std::chrono::milliseconds send_interval{200};
  // Applied inbox rows and finished emails are deleted this long after.
  std::chrono::hours retention{168};
  // The consumer of the order events: its kafka options and max_attempts (group and topics
  // are set by NotificationConsumerOptions).
  events::ConsumerOptions consumer;
};

// Reads exactly the "notification" variables of deploy/services.json: MERCATO_DATABASE_URL,
// MERCATO_SERVICE_KEY, MERCATO_SMTP_URL, MERCATO_KAFKA_BROKERS (required),
// MERCATO_DB_POOL_SIZE, MERCATO_USER_ADDR, MERCATO_SMTP_USERNAME, MERCATO_SMTP_PASSWORD,
// MERCATO_SMTP_FROM, MERCATO_SMTP_TIMEOUT_MS, MERCATO_SHOP_URL,
// MERCATO_NOTIFICATION_SEND_INTERVAL_MS, MERCATO_RESILIENCE, MERCATO_USER_RESILIENCE,
// MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS, MERCATO_BIND_ADDRESS and the
// shared server settings (config.h in libs/common). The password and the key are never echoed.
absl::StatusOr<NotificationConfig> LoadNotificationConfig(EnvReader& env);

}  // namespace mercato::notification
