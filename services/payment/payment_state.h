// The payment state machine, as pure functions:
//
//   (new) --> PENDING --approve--> AUTHORIZED --Capture--> CAPTURED --Refund--> REFUNDED
//               |  \--decline--> DECLINED          \--Void--> VOIDED
//               \--Void (checkout's recovery, the sweeper)--> VOIDED
//
// A payment is stored PENDING before the processor is asked; the processor's answer moves it
// to AUTHORIZED or DECLINED (PaymentStore::RecordOutcome). DECLINED, REFUNDED and VOIDED are
// terminal. Every move is a conditional UPDATE ... WHERE state = <source>, so two concurrent
// calls can never both make it; Void has two sources, tried one after the other.
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

// The usual state a payment is in for an RPC's move to `target` (CAPTURED <- AUTHORIZED,
// VOIDED <- AUTHORIZED, REFUNDED <- CAPTURED); nullopt for targets no RPC moves to
// (AUTHORIZED and DECLINED are reached only by recording the processor's answer).
std::optional<PaymentState> SourceStateFor(PaymentState target);
// Whether an RPC may move a payment in state `current` to `target`: the state above, or
// PENDING for VOIDED.
bool IsSourceOf(PaymentState current, PaymentState target);

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
