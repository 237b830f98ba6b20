// The payment events the payment service publishes (mercato.payments.v1, docs/events.md),
// built from the payment as the store records it. PostgresPaymentStore appends them to its
// outbox in the transaction that moves the payment:
//
//   PaymentAuthorized   RecordOutcome recorded the processor's AUTHORIZED answer
//   PaymentCaptured     Transition(... -> CAPTURED)
//   PaymentVoided       Transition(... -> VOIDED); reason "authorization_voided" (from
//                       AUTHORIZED) or "voided_before_authorization" (from PENDING)
//   PaymentRefunded     Refund recorded a refund (PaymentRefundedEvent), partial or whole
//
// Other moves (PENDING, DECLINED) publish nothing in this version. Like the rest of
// the store, the events carry the card's brand and last four digits only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mercato/events/v1/events.pb.h"
#include "payment/payment_store.h"

namespace mercato::payment {

// The `source` of every event the payment service publishes.
inline constexpr char kEventSource[] = "payment";

// The event of `payment` having moved from `from` to its current state, if that move has one.
std::optional<events::v1::Envelope> PaymentMovedEvent(const PaymentRecord& payment,
                                                      v1::PaymentState from);

// The PaymentRefunded event of refund `key` of `amount`, `payment` as it is after the refund
// (its refunded_amount the total so far).
events::v1::Envelope PaymentRefundedEvent(const PaymentRecord& payment, int64_t amount,
                                          const std::string& key);

}  // namespace mercato::payment
