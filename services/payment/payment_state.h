// The payment state machine, as pure functions:
//
//   (new) --> PENDING --approve--> AUTHORIZED --Capture--> CAPTURED --Refund--> REFUNDED
//               |  \--decline--> DECLINED          \--Void--> VOIDED  \         ^
//               \--Void (checkout's recovery, the sweeper)--> VOIDED    Refund   Refund
//                                                                      \-> PARTIALLY_REFUNDED
//                                                                          (Refund: stays)
//
// A payment is stored PENDING before the processor is asked; the processor's answer moves it
// to AUTHORIZED or DECLINED (PaymentStore::RecordOutcome). DECLINED, REFUNDED and VOIDED are
// terminal. Capture and Void are conditional UPDATE ... WHERE state = <source>, so two
// concurrent calls can never both make them; Void has two sources, tried one after the other.
// Refunds are not such moves: each adds an amount under the payment's row lock, and
// PlanRefund decides what one does (PaymentStore::Refund).
//
//   switch (ClassifyTransition(current, PAYMENT_STATE_CAPTURED)) { ... }
//   auto plan = PlanRefund(payment, &request.amount(), earlier_amount_for_key);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
// VOIDED <- AUTHORIZED); nullopt for targets no such move reaches (AUTHORIZED and DECLINED
// are reached only by recording the processor's answer, REFUNDED and PARTIALLY_REFUNDED by
// refunds: PlanRefund).
std::optional<PaymentState> SourceStateFor(PaymentState target);
// Whether an RPC may move a payment in state `current` to `target`: the state above, or
// PENDING for VOIDED.
bool IsSourceOf(PaymentState current, PaymentState target);

// What a request to move a payment in state `current` to `target` means.
TransitionKind ClassifyTransition(PaymentState current, PaymentState target);

// OK for kApply and kAlreadyDone; FAILED_PRECONDITION "invalid_transition" naming both
// states otherwise.
absl::Status CheckTransition(PaymentState current, PaymentState target);

// What one Refund call does (PlanRefund).
struct RefundPlan {
  // The idempotency key was used before with this amount: nothing moves, the payment is
  // returned as it is.
  bool replay = false;
  // The amount to refund now (minor units, the payment's currency); 0 for a replay.
  int64_t amount = 0;
  // The payment's state after this refund: PARTIALLY_REFUNDED or REFUNDED.
  PaymentState next_state = v1::PAYMENT_STATE_UNSPECIFIED;
};

// Whether a payment in `state` may be refunded (CAPTURED or PARTIALLY_REFUNDED).
bool IsRefundable(PaymentState state);

// The rules of a refund of `payment` (its state, amount and refunded_amount as stored now,
// under its row lock). `requested`: the request's amount, nullptr when unset (= what is left).
// `earlier`: the amount of the refund already recorded under this request's idempotency key.
// In this order:
//   requested <= 0 or in another currency         INVALID_ARGUMENT "invalid_amount"
//   earlier, and requested unset or equal to it   replay
//   earlier, requested another amount             FAILED_PRECONDITION "idempotency_key_reused"
//   REFUNDED (nothing left)                       FAILED_PRECONDITION "refund_exceeds_capture"
//   not CAPTURED / PARTIALLY_REFUNDED             FAILED_PRECONDITION "payment_not_captured"
//   refunded_amount + amount > amount captured    FAILED_PRECONDITION "refund_exceeds_capture"
//   else: refund `amount`; REFUNDED when that makes the whole, else PARTIALLY_REFUNDED.
absl::StatusOr<RefundPlan> PlanRefund(const v1::Payment& payment,
                                      const common::v1::Money* requested,
                                      std::optional<int64_t> earlier);

// "authorized", "captured", ... as stored in the database and used as metric labels;
// "unspecified" for PAYMENT_STATE_UNSPECIFIED.
std::string StateName(PaymentState state);
// The inverse of StateName; nullopt for an unknown name.
std::optional<PaymentState> StateFromName(absl::string_view name);

}  // namespace mercato::payment
