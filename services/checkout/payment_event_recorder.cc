#include "checkout/payment_event_recorder.h"

#include "common/ids.h"
#include "events/contracts.h"

namespace mercato::checkout {
namespace {

struct PaymentFacts {
  const char* kind = nullptr;  // nullptr: not a payment event
  std::string payment_id;
  std::string order_id;
  common::v1::Money amount;
  std::string detail;
};

PaymentFacts FactsOf(const events::v1::Envelope& event) {
  switch (event.payload_case()) {
    case events::v1::Envelope::kPaymentAuthorized: {
      const auto& p = event.payment_authorized();
      return {"authorized", p.payment_id(), p.order_id(), p.amount(),
              p.card_brand() + " " + p.card_last4()};
    }
    case events::v1::Envelope::kPaymentCaptured: {
      const auto& p = event.payment_captured();
      return {"captured", p.payment_id(), p.order_id(), p.amount(), ""};
    }
    case events::v1::Envelope::kPaymentVoided: {
      const auto& p = event.payment_voided();
      return {"voided", p.payment_id(), p.order_id(), p.amount(), p.reason()};
    }
    case events::v1::Envelope::kPaymentRefunded: {
      // amount: this refund's; detail: its idempotency key ("cancel", "refund:<key>").
      const auto& p = event.payment_refunded();
      return {"refunded", p.payment_id(), p.order_id(), p.amount(), p.refund_key()};
    }
    default:
      return {};
  }
}

}  // namespace

events::ConsumerOptions PaymentEventConsumerOptions(events::ConsumerOptions base) {
  base.group = kPaymentEventsGroup;
  base.topics = {events::kPaymentsTopic};
  return base;
}

absl::Status RecordPaymentEvent(const events::v1::Envelope& event, pqxx::work& tx) {
  const PaymentFacts facts = FactsOf(event);
  if (facts.kind == nullptr || !IsUuid(facts.order_id)) return absl::OkStatus();
  // INSERT ... SELECT: nothing when the order is not one of ours. (A database error throws;
  // the consumer's transaction turns it into a status.)
  tx.exec_params(
      "INSERT INTO order_payment_events (event_id, order_id, payment_id, kind, amount, "
      "currency, detail, occurred_at) "
      "SELECT $1, id, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000000) "
      "FROM orders WHERE id = $2::uuid ON CONFLICT (event_id) DO NOTHING",
      event.event_id(), facts.order_id, facts.payment_id, std::string(facts.kind),
      facts.amount.amount(), facts.amount.currency(), facts.detail,
      event.occurred_at().seconds() * 1000000 + event.occurred_at().nanos() / 1000);
  return absl::OkStatus();
}

}  // namespace mercato::checkout
