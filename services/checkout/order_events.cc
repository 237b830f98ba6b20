#include "checkout/order_events.h"

#include "events/contracts.h"

namespace mercato::checkout {

events::v1::Envelope OrderPlacedEvent(const OrderRecord& order) {
  events::v1::Envelope event = events::NewEvent(kEventSource);
  const v1::Order& o = order.order;
  events::v1::OrderPlaced* placed = event.mutable_order_placed();
  placed->set_order_id(o.id());
  placed->set_user_id(o.user_id());
  for (const v1::OrderItem& item : o.items()) {
    events::v1::OrderLine* line = placed->add_lines();
    line->set_product_id(item.product_id());
    line->set_name(item.name());
    line->set_quantity(item.quantity());
    *line->mutable_unit_price() = item.unit_price();
    *line->mutable_line_total() = item.line_total();
  }
  *placed->mutable_subtotal() = o.subtotal();
  *placed->mutable_shipping() = o.shipping();
  *placed->mutable_tax() = o.tax();
  *placed->mutable_total() = o.total();
  return event;
}

std::optional<events::v1::Envelope> OrderStepEvent(const OrderRecord& order,
                                                   const StepUpdate& update) {
  const v1::Order& o = order.order;
  if (update.step == OrderStep::kPaid) {
    events::v1::Envelope event = events::NewEvent(kEventSource);
    events::v1::OrderPaid* paid = event.mutable_order_paid();
    paid->set_order_id(o.id());
    paid->set_user_id(o.user_id());
    paid->set_payment_id(update.payment_id.empty() ? o.payment_id() : update.payment_id);
    *paid->mutable_total() = o.total();
    return event;
  }
  if (update.step == OrderStep::kFailed) {
    events::v1::Envelope event = events::NewEvent(kEventSource);
    events::v1::OrderFailed* failed = event.mutable_order_failed();
    failed->set_order_id(o.id());
    failed->set_user_id(o.user_id());
    failed->set_reason(update.failure_code);
    return event;
  }
  return std::nullopt;
}

events::v1::Envelope OrderCancelledEvent(const OrderRecord& order) {
  events::v1::Envelope event = events::NewEvent(kEventSource);
  events::v1::OrderCancelled* cancelled = event.mutable_order_cancelled();
  cancelled->set_order_id(order.order.id());
  cancelled->set_user_id(order.order.user_id());
  cancelled->mutable_refunded()->set_amount(order.cancel_amount);
  cancelled->mutable_refunded()->set_currency(order.order.total().currency());
  return event;
}

events::v1::Envelope OrderRefundedEvent(const OrderRecord& order, const RefundRecord& refund) {
  events::v1::Envelope event = events::NewEvent(kEventSource);
  events::v1::OrderRefunded* refunded = event.mutable_order_refunded();
  const v1::Order& o = order.order;
  refunded->set_order_id(o.id());
  refunded->set_user_id(o.user_id());
  refunded->mutable_amount()->set_amount(refund.amount);
  refunded->mutable_amount()->set_currency(o.total().currency());
  *refunded->mutable_total_refunded() = o.refunded();
  refunded->set_fully_refunded(o.refunded().amount() >= o.total().amount());
  refunded->set_refund_id(refund.idempotency_key);
  return event;
}

}  // namespace mercato::checkout
