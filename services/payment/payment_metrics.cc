#include "payment/payment_metrics.h"

namespace mercato::payment {
namespace {

const char* OutcomeLabel(AuthorizeOutcome outcome) {
  switch (outcome) {
    case AuthorizeOutcome::kApproved:
      return "approved";
    case AuthorizeOutcome::kDeclined:
      return "declined";
    case AuthorizeOutcome::kInvalid:
      return "invalid";
    case AuthorizeOutcome::kReplayed:
      return "replayed";
    case AuthorizeOutcome::kKeyReused:
      return "key_reused";
    case AuthorizeOutcome::kError:
      return "error";
  }
  return "error";
}

bool IsLegalMove(std::optional<PaymentState> from, PaymentState to) {
  if (!from) return to == v1::PAYMENT_STATE_PENDING;
  if (*from == v1::PAYMENT_STATE_PENDING) {
    return to == v1::PAYMENT_STATE_AUTHORIZED || to == v1::PAYMENT_STATE_DECLINED ||
           to == v1::PAYMENT_STATE_VOIDED;
  }
  if (to == v1::PAYMENT_STATE_REFUNDED || to == v1::PAYMENT_STATE_PARTIALLY_REFUNDED) {
    return *from == v1::PAYMENT_STATE_CAPTURED ||
           (*from == v1::PAYMENT_STATE_PARTIALLY_REFUNDED && to == v1::PAYMENT_STATE_REFUNDED);
  }
  return SourceStateFor(to) == *from;
}

}  // namespace

PaymentMetrics::PaymentMetrics(prometheus::Registry& registry)
    : authorizations_(prometheus::BuildCounter()
                          .Name("mercato_payment_authorizations_total")
                          .Help("Authorize calls by outcome")
                          .Register(registry)),
      transitions_(prometheus::BuildCounter()
                       .Name("mercato_payment_transitions_total")
                       .Help("Payment state changes committed, by from and to state")
                       .Register(registry)) {
  // Create every series up front, so that each one is exported (as 0) from the start.
  for (auto o :
       {AuthorizeOutcome::kApproved, AuthorizeOutcome::kDeclined, AuthorizeOutcome::kInvalid,
        AuthorizeOutcome::kReplayed, AuthorizeOutcome::kKeyReused, AuthorizeOutcome::kError}) {
    authorizations_.Add({{"outcome", OutcomeLabel(o)}});
  }
  for (auto [from, to] :
       std::initializer_list<std::pair<std::optional<PaymentState>, PaymentState>>{
           {std::nullopt, v1::PAYMENT_STATE_PENDING},
           {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_AUTHORIZED},
           {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_DECLINED},
           {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_VOIDED},
           {v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED},
           {v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_VOIDED},
           {v1::PAYMENT_STATE_CAPTURED, v1::PAYMENT_STATE_REFUNDED},
           {v1::PAYMENT_STATE_CAPTURED, v1::PAYMENT_STATE_PARTIALLY_REFUNDED},
           {v1::PAYMENT_STATE_PARTIALLY_REFUNDED, v1::PAYMENT_STATE_REFUNDED}}) {
    transitions_.Add({{"from", from ? StateName(*from) : "none"}, {"to", StateName(to)}});
  }
}

void PaymentMetrics::CountAuthorization(AuthorizeOutcome outcome) {
  authorizations_.Add({{"outcome", OutcomeLabel(outcome)}}).Increment();
}

void PaymentMetrics::CountTransition(std::optional<PaymentState> from, PaymentState to) {
  if (!IsLegalMove(from, to)) return;
  transitions_.Add({{"from", from ? StateName(*from) : "none"}, {"to", StateName(to)}}).Increment();
}

}  // namespace mercato::payment
