// The checkout's consumer of mercato.payments.v1 (group "checkout.payments"): records each
// payment event (authorized, captured, voided, refunded) against its order in
// order_payment_events (migrations 005, 006), inside the transaction in which
// events::EventConsumer records the event id in the inbox, so a redelivered event changes
// nothing.
//
//   auto consumer = events::EventConsumer::Create(
//       PaymentEventConsumerOptions(config.events.consumer), *pool, RecordPaymentEvent, registry);
//
// Events of payments that belong to no order of this database (another client of the payment
// service, an order id that is not a UUID) are skipped, not failed: there is nothing to record
// them against, and retrying would not change that.
#pragma once

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "events/consumer.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::checkout {

inline constexpr char kPaymentEventsGroup[] = "checkout.payments";

// `base` (from events::ReadEventsConfig) with the group and topic of this consumer.
events::ConsumerOptions PaymentEventConsumerOptions(events::ConsumerOptions base);

// The handler: inserts the event into order_payment_events within `tx`.
absl::Status RecordPaymentEvent(const events::v1::Envelope& event, pqxx::work& tx);

}  // namespace mercato::checkout
