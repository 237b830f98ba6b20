// Configuration of the payment service, from environment variables.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/identity_config.h"
#include "common/config.h"
#include "events/config.h"

namespace mercato::payment {

inline constexpr size_t kMinFingerprintKeyLength = 32;
// 1,000,000.00 in a currency with two decimals.
inline constexpr int64_t kDefaultMaxAmount = 100'000'000;
// An authorization not captured within this long is voided (AuthorizationSweeper): as long
// as checkout's default stock reservation, after which the order cannot be paid anyway.
inline constexpr int64_t kDefaultAuthorizationMaxAgeSeconds = 900;

struct PaymentConfig {
  ServerConfig server;
  // Keys of its callers (and its own, and the access-token key where it needs them).
  auth::IdentityConfig identity;
  std::string bind_address;
  // libpq connection string or URL, e.g. postgresql://user@host:5432/payment
  std::string database_url;
  int db_pool_size = 8;
  // Secret key of the card fingerprints (HMAC-SHA-256); changing it makes every stored
  // fingerprint differ, so a retried Authorize with an old key would be refused as reused.
  // Required: there is no public default (make run sets a development key of its own).
  std::string fingerprint_key;
  // Largest amount one payment may have, in minor units.
  int64_t max_amount = kDefaultMaxAmount;
  // Payments pending or authorized for longer than this are voided.
  absl::Duration authorization_max_age = absl::Seconds(kDefaultAuthorizationMaxAgeSeconds);
  // The broker and the outbox relay of its payment events.
  events::EventsConfig events;
};

// Reads MERCATO_DATABASE_URL and MERCATO_CHECKOUT_PUBLIC_KEY (required), MERCATO_DB_POOL_SIZE,
// MERCATO_PAYMENT_FINGERPRINT_KEY (required), MERCATO_PAYMENT_MAX_AMOUNT,
// MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S, MERCATO_BIND_ADDRESS, the event settings
// (MERCATO_KAFKA_BROKERS required; events/config.h) and the shared server settings (config.h
// in libs/common). The keys are never echoed in an error.
absl::StatusOr<PaymentConfig> LoadPaymentConfig(EnvReader& env);

}  // namespace mercato::payment
