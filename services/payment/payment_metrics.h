// Prometheus counters of the payment service, registered on the process's Metrics registry:
//
//   mercato_payment_authorizations_total{outcome}  approved | declined | invalid | replayed |
//                                                  key_reused | error
//   mercato_payment_transitions_total{from,to}     none->pending, pending->authorized,
//                                                  pending->declined, pending->voided,
//                                                  authorized->captured, authorized->voided,
//                                                  captured->refunded,
//                                                  captured->partially_refunded,
//                                                  partially_refunded->refunded
//
// Label values come from fixed sets (never from request data), so cardinality is bounded:
// 6 + 9 series. Counted after the database commit, so a replayed or failed call never
// counts as a new payment or move.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <optional>

#include "payment/payment_state.h"

namespace mercato::payment {

enum class AuthorizeOutcome { kApproved, kDeclined, kInvalid, kReplayed, kKeyReused, kError };

class PaymentMetrics {
 public:
  explicit PaymentMetrics(prometheus::Registry& registry);

  void CountAuthorization(AuthorizeOutcome outcome);
  // `from` is nullopt for a new payment. Moves outside the state machine are not counted.
  void CountTransition(std::optional<PaymentState> from, PaymentState to);

 private:
  prometheus::Family<prometheus::Counter>& authorizations_;
  prometheus::Family<prometheus::Counter>& transitions_;
};

}  // namespace mercato::payment
