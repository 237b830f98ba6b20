// The order events the checkout publishes (mercato.orders.v1, docs/events.md), built from the
// order as the store records it. PostgresCheckoutStore appends them to its outbox in the
// transaction that records the change:
//
//   OrderPlaced   CreateOrder created a priced order (its saga starts)
//   OrderPaid     Advance() recorded kPaid
//   OrderFailed   Advance() recorded kFailed
//   OrderCancelled FinishCancel() recorded CANCELLED (what the cancellation refunded)
//   OrderRefunded  CompleteRefund() recorded an admin refund
//
// An order refused before pricing (e.g. an empty cart, recorded failed at once) was never
// placed and publishes nothing.
#pragma once

#include <optional>

#include "checkout/checkout_store.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::checkout {

// The `source` of every event the checkout publishes.
inline constexpr char kEventSource[] = "checkout";

events::v1::Envelope OrderPlacedEvent(const OrderRecord& order);

// The event of `order` reaching `update.step`, if that step has one (kPaid, kFailed).
std::optional<events::v1::Envelope> OrderStepEvent(const OrderRecord& order,
                                                   const StepUpdate& update);

// `order` as it is once cancelled: refunded = its cancel_amount.
events::v1::Envelope OrderCancelledEvent(const OrderRecord& order);

// `refund` completed; `order` with its refunded sum (this refund included).
events::v1::Envelope OrderRefundedEvent(const OrderRecord& order, const RefundRecord& refund);

}  // namespace mercato::checkout
