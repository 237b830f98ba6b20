// The payment state machine, as pure functions:
//
//   (new) --approve--> AUTHORIZED --Capture--> CAPTURED --Refund--> REFUNDED
//   (new) --decline--> DECLINED         \--Void--> VOIDED
//
// DECLINED, REFUNDED and VOIDED are terminal. Each move has exactly one source state, which
// is what the store's conditional UPDATE ... WHERE state = <source> checks, so two
// concurrent calls can never both make a move.
//
//   switch (ClassifyTransition(current, PAYMENT_STATE_CAPTURED)) { ... }
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mercato/payment/v1/payment.pb.h"

namespace mercato::payment {

using v1::PaymentState;

enum class TransitionKind {
  kApply,        // current is the move's source state: make the move
  kAlreadyDone,  // current is already the target: idempotent repeat, return the payment
  kIllegal,      // anything else: FAILED_PRECONDITION "invalid_transition"
};

// The one state a payment must be in for a move to `target` (CAPTURED <- AUTHORIZED,
// VOIDED <- AUTHORIZED, REFUNDED <- CAPTURED); nullopt for targets no RPC moves to
// (AUTHORIZED and DECLINED are only ever initial states).
std::optional<PaymentState> SourceStateFor(PaymentState target);

// What a request to move a payment in state `current` to `target` means.
TransitionKind ClassifyTransition(PaymentState current, PaymentState target);

// OK for kApply and kAlreadyDone; FAILED_PRECONDITION "invalid_transition" naming both
// states otherwise.
absl::Status CheckTransition(PaymentState current, PaymentState target);

// "authorized", "captured", ... as stored in the database and used as metric labels;
// "unspecified" for PAYMENT_STATE_UNSPECIFIED.
std::string StateName(PaymentState state);
// The inverse of StateName; nullopt for an unknown name.
std::optional<PaymentState> StateFromName(absl::string_view name);

}  // namespace mercato::payment
