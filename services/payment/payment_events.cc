#include "payment/payment_events.h"

#include "events/contracts.h"

namespace mercato::payment {

std::optional<events::v1::Envelope> PaymentMovedEvent(const PaymentRecord& payment,
                                                      v1::PaymentState from) {
  const v1::Payment& p = payment.payment;
  events::v1::Envelope event = events::NewEvent(kEventSource);
  switch (p.state()) {
    case v1::PAYMENT_STATE_AUTHORIZED: {
      events::v1::PaymentAuthorized* authorized = event.mutable_payment_authorized();
      authorized->set_payment_id(p.id());
      authorized->set_order_id(p.order_id());
      *authorized->mutable_amount() = p.amount();
      authorized->set_card_brand(p.card_brand());
      authorized->set_card_last4(p.card_last4());
      return event;
    }
    case v1::PAYMENT_STATE_CAPTURED: {
      events::v1::PaymentCaptured* captured = event.mutable_payment_captured();
      captured->set_payment_id(p.id());
      captured->set_order_id(p.order_id());
      *captured->mutable_amount() = p.amount();
      return event;
    }
    case v1::PAYMENT_STATE_VOIDED: {
      events::v1::PaymentVoided* voided = event.mutable_payment_voided();
      voided->set_payment_id(p.id());
      voided->set_order_id(p.order_id());
      *voided->mutable_amount() = p.amount();
      voided->set_reason(from == v1::PAYMENT_STATE_PENDING ? "voided_before_authorization"
                                                           : "authorization_voided");
      return event;
    }
    default:
      return std::nullopt;
  }
}

events::v1::Envelope PaymentRefundedEvent(const PaymentRecord& payment, int64_t amount,
                                          const std::string& key) {
  const v1::Payment& p = payment.payment;
  events::v1::Envelope event = events::NewEvent(kEventSource);
  events::v1::PaymentRefunded* refunded = event.mutable_payment_refunded();
  refunded->set_payment_id(p.id());
  refunded->set_order_id(p.order_id());
  refunded->mutable_amount()->set_amount(amount);
  refunded->mutable_amount()->set_currency(p.amount().currency());
  *refunded->mutable_total_refunded() = p.refunded_amount();
  refunded->set_refund_key(key);
  return event;
}

}  // namespace mercato::payment
