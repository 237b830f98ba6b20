#include "payment/payment_state.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::payment {

std::optional<PaymentState> SourceStateFor(PaymentState target) {
  switch (target) {
    case v1::PAYMENT_STATE_CAPTURED:
    case v1::PAYMENT_STATE_VOIDED:
      return v1::PAYMENT_STATE_AUTHORIZED;
    default:
      return std::nullopt;
  }
}

bool IsSourceOf(PaymentState current, PaymentState target) {
  if (target == v1::PAYMENT_STATE_VOIDED && current == v1::PAYMENT_STATE_PENDING) return true;
  const std::optional<PaymentState> source = SourceStateFor(target);
  return source && current == *source;
}

TransitionKind ClassifyTransition(PaymentState current, PaymentState target) {
  if (!SourceStateFor(target)) return TransitionKind::kIllegal;
  if (IsSourceOf(current, target)) return TransitionKind::kApply;
  if (current == target) return TransitionKind::kAlreadyDone;
  return TransitionKind::kIllegal;
}

absl::Status CheckTransition(PaymentState current, PaymentState target) {
  if (ClassifyTransition(current, target) != TransitionKind::kIllegal) return absl::OkStatus();
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "invalid_transition",
                       absl::StrCat("a payment in state ", StateName(current), " cannot become ",
                                    StateName(target)));
}

bool IsRefundable(PaymentState state) {
  return state == v1::PAYMENT_STATE_CAPTURED || state == v1::PAYMENT_STATE_PARTIALLY_REFUNDED;
}

namespace {

absl::Status RefundRefused(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, code, message);
}

}  // namespace

absl::StatusOr<RefundPlan> PlanRefund(const v1::Payment& payment,
                                      const common::v1::Money* requested,
                                      std::optional<int64_t> earlier) {
  if (requested != nullptr &&
      (requested->amount() <= 0 || requested->currency() != payment.amount().currency())) {
    return ErrorWithCode(
        absl::StatusCode::kInvalidArgument, "invalid_amount",
        absl::StrCat("a refund's amount must be positive and in ", payment.amount().currency()));
  }
  if (earlier) {
    if (requested == nullptr || requested->amount() == *earlier) return RefundPlan{.replay = true};
    return RefundRefused("idempotency_key_reused",
                         "this idempotency key was used for a refund of another amount");
  }
  const int64_t captured = payment.amount().amount();
  const int64_t refunded = payment.refunded_amount().amount();
  if (payment.state() == v1::PAYMENT_STATE_REFUNDED) {
    return RefundRefused("refund_exceeds_capture", "the payment is wholly refunded");
  }
  if (!IsRefundable(payment.state())) {
    return RefundRefused(
        "payment_not_captured",
        absl::StrCat("a payment in state ", StateName(payment.state()), " cannot be refunded"));
  }
  const int64_t amount = requested != nullptr ? requested->amount() : captured - refunded;
  if (amount <= 0 || amount > captured - refunded) {
    return RefundRefused(
        "refund_exceeds_capture",
        absl::StrCat("at most ", captured - refunded, " of ", captured, " is left to refund"));
  }
  return RefundPlan{.amount = amount,
                    .next_state = refunded + amount == captured
                                      ? v1::PAYMENT_STATE_REFUNDED
                                      : v1::PAYMENT_STATE_PARTIALLY_REFUNDED};
}

std::string StateName(PaymentState state) {
  switch (state) {
    case v1::PAYMENT_STATE_AUTHORIZED:
      return "authorized";
    case v1::PAYMENT_STATE_CAPTURED:
      return "captured";
    case v1::PAYMENT_STATE_REFUNDED:
      return "refunded";
    case v1::PAYMENT_STATE_VOIDED:
      return "voided";
    case v1::PAYMENT_STATE_DECLINED:
      return "declined";
    case v1::PAYMENT_STATE_PENDING:
      return "pending";
    case v1::PAYMENT_STATE_PARTIALLY_REFUNDED:
      return "partially_refunded";
    default:
      return "unspecified";
  }
}

std::optional<PaymentState> StateFromName(absl::string_view name) {
  for (PaymentState s :
       {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
        v1::PAYMENT_STATE_REFUNDED, v1::PAYMENT_STATE_VOIDED, v1::PAYMENT_STATE_DECLINED,
        v1::PAYMENT_STATE_PARTIALLY_REFUNDED}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace mercato::payment
