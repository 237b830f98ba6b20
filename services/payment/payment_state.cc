#include "payment/payment_state.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::payment {

std::optional<PaymentState> SourceStateFor(PaymentState target) {
  switch (target) {
    case v1::PAYMENT_STATE_CAPTURED:
    case v1::PAYMENT_STATE_VOIDED:
      return v1::PAYMENT_STATE_AUTHORIZED;
    case v1::PAYMENT_STATE_REFUNDED:
      return v1::PAYMENT_STATE_CAPTURED;
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
    default:
      return "unspecified";
  }
}

std::optional<PaymentState> StateFromName(absl::string_view name) {
  for (PaymentState s :
       {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
        v1::PAYMENT_STATE_REFUNDED, v1::PAYMENT_STATE_VOIDED, v1::PAYMENT_STATE_DECLINED}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace mercato::payment
