// Storage behind the payment service. PostgresPaymentStore is the real one; unit tests use
// an in-memory fake (tests/unit/payment_fake_store.h).
//
// The store makes the guarantees the service's contract rests on:
//   - BeginAuthorization: at most one payment per idempotency key; a new one is committed in
//     state PENDING before the processor is asked, so no authorization the processor makes
//     can be left without a row that recovery and the sweeper see (issue 15, defect 11).
//   - RecordOutcome: the processor is asked about a PENDING payment by one call at a time per
//     idempotency key (others wait, then find the answer), and its answer moves the payment
//     out of PENDING only if nothing (a Void, the sweeper) moved it meanwhile.
//   - Transition: a conditional move (only from the given source state), so of several
//     concurrent calls exactly one makes the move; the processor call (`act`) runs inside
//     the same transaction, after the row is claimed.
//   - Refund: under the payment's row lock (SELECT ... FOR UPDATE), so refunds of one payment
//     queue: a repeated key is found, and the refunds never add up to more than the captured
//     amount (PlanRefund decides; the database's CHECK constraints hold it too). The
//     processor call (`act`), the refund row, the payment's new refunded_amount and state and
//     its PaymentRefunded event are one transaction.
// Every state change is recorded in the payment's history (ListEvents), and the moves that
// other services hear about (payment_events.h: authorized, captured, voided) are appended to
// the outbox (libs/events) in the transaction that makes them.
//
// Nothing here ever sees a card number or CVC: only brand, last four digits and the keyed
// fingerprint (card.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mercato/payment/v1/payment.pb.h"

namespace mercato::payment {

// A stored payment: the API view plus what only the service needs.
struct PaymentRecord {
  v1::Payment payment;
  // PaymentFingerprint() of the first request with this idempotency key.
  std::string fingerprint;
  // The processor's authorization reference.
  std::string processor_reference;
};

// Everything known about a payment before the processor is asked.
struct NewPayment {
  std::string id;  // a UUID chosen by the service
  std::string idempotency_key;
  std::string fingerprint;
  int64_t amount = 0;
  std::string currency;
  std::string card_brand;
  std::string card_last4;
  std::string order_id;
};

// The processor's answer, as recorded.
struct ChargeOutcome {
  v1::PaymentState state = v1::PAYMENT_STATE_UNSPECIFIED;  // AUTHORIZED or DECLINED
  std::string decline_code;
  std::string processor_reference;
};

struct AuthorizeResult {
  PaymentRecord record;
  // True for a new PENDING payment; false when the idempotency key already had a payment
  // (returned as it is, in whatever state).
  bool created = false;
};

struct TransitionResult {
  PaymentRecord record;
  // False when the payment was not in the source state (returned as it is; `act` did not run).
  bool changed = false;
};

// A payment that may still hold money at the processor: PENDING or AUTHORIZED.
struct OpenPayment {
  std::string id;
  v1::PaymentState state = v1::PAYMENT_STATE_UNSPECIFIED;
};

// A refund as asked for.
struct NewRefund {
  std::string payment_id;
  // Never empty: the service makes the empty key "full".
  std::string idempotency_key;
  // Unset: what is left of the captured amount.
  std::optional<common::v1::Money> amount;
};

struct RefundResult {
  PaymentRecord record;
  // The amount this call refunded; 0 when it changed nothing (a replay of the key).
  int64_t amount = 0;
  // The payment's state before this refund.
  v1::PaymentState from = v1::PAYMENT_STATE_UNSPECIFIED;
};

// One entry of a payment's history.
struct PaymentEvent {
  std::optional<v1::PaymentState> from;  // nullopt for the initial state
  v1::PaymentState to = v1::PAYMENT_STATE_UNSPECIFIED;
  std::string decline_code;
  absl::Time at;
};

class PaymentStore {
 public:
  using ActFn = std::function<absl::Status(const PaymentRecord&)>;
  using AskFn = std::function<absl::StatusOr<ChargeOutcome>()>;
  // The processor call of a refund of `amount` of the payment (as it is before the refund).
  using RefundFn = std::function<absl::Status(const PaymentRecord&, int64_t amount)>;

  virtual ~PaymentStore() = default;

  // Returns the payment already recorded for payment.idempotency_key (created = false), or
  // commits `payment` as a new PENDING payment (created = true). Concurrent calls with one
  // key wait for each other: exactly one creates.
  virtual absl::StatusOr<AuthorizeResult> BeginAuthorization(const NewPayment& payment) = 0;

  // If payment `id`, whose key is `idempotency_key` (as BeginAuthorization returned it), is
  // PENDING: runs `ask` (the processor call) and records its answer
  // (state AUTHORIZED or DECLINED, decline code, reference), changed = true. Calls for one
  // idempotency key (and BeginAuthorization) wait for each other, so a repeat that finds the
  // payment pending waits for the call asking now and then gets its answer without asking
  // again. A payment no longer pending (answered, or voided meanwhile, also while `ask` ran)
  // is returned as it is (changed = false). An error from `ask` changes nothing and is
  // returned. NOT_FOUND when there is no such payment (or its key is another).
  virtual absl::StatusOr<TransitionResult> RecordOutcome(const std::string& id,
                                                         const std::string& idempotency_key,
                                                         const AskFn& ask) = 0;

  // Up to `limit` payments PENDING or AUTHORIZED since before now - `age`, oldest first.
  virtual absl::StatusOr<std::vector<OpenPayment>> ListOpenOlderThan(absl::Duration age,
                                                                     int limit) = 0;

  // If payment `id` is in state `from`: moves it to `to`, runs `act` with the moved payment
  // (an error rolls the move back and is returned) and returns changed = true. Otherwise
  // returns the payment unchanged. NOT_FOUND when there is no such payment.
  virtual absl::StatusOr<TransitionResult> Transition(const std::string& id, v1::PaymentState from,
                                                      v1::PaymentState to, const ActFn& act) = 0;

  // Refunds payment `refund.payment_id` as PlanRefund (payment_state.h) decides, with its row
  // locked: a replay returns the payment unchanged (amount = 0); a refusal is returned; else
  // runs `act` (an error rolls everything back and is returned), records the refund, adds it
  // to refunded_amount, moves the state and appends PaymentRefunded to the outbox.
  // NOT_FOUND when there is no such payment.
  virtual absl::StatusOr<RefundResult> Refund(const NewRefund& refund, const RefundFn& act) = 0;

  // NOT_FOUND when there is none.
  virtual absl::StatusOr<PaymentRecord> Get(const std::string& id) = 0;
  virtual absl::StatusOr<PaymentRecord> GetByIdempotencyKey(const std::string& key) = 0;

  // The payment's history, oldest first (empty for an unknown id).
  virtual absl::StatusOr<std::vector<PaymentEvent>> ListEvents(const std::string& id) = 0;
};

using PaymentStorePtr = std::unique_ptr<PaymentStore>;

}  // namespace mercato::payment
