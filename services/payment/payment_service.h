// gRPC handlers of mercato.payment.v1.PaymentService. The Do* methods hold the logic and
// are what unit tests call; every RPC touches PostgreSQL, so all run on the executor.
//
// Contract (what the checkout saga relies on):
//   Authorize  validates the request, then asks the store for the payment of the idempotency
//              key: an existing one is returned as it is (approved or declined; the
//              processor is not asked again) if the request has the same fingerprint (card
//              number + amount + currency), else FAILED_PRECONDITION "idempotency_key_reused".
//              Otherwise the payment is committed PENDING, then the processor is asked, then
//              its answer is recorded before the reply (issue 15, defect 11: no
//              authorization without a row). A payment found PENDING (a crash or an
//              unreachable processor left it) is asked about again with the card of the
//              repeat: the processor answers a repeated key with the same authorization.
//              A decline is a payment in state DECLINED with decline_code, not an error.
//   Capture / Void  move authorized -> captured, authorized or pending -> voided;
//              repeating a move that was made returns the payment; any other move is
//              FAILED_PRECONDITION "invalid_transition". Voiding a pending
//              payment cancels whatever the processor made for its key. When the processor
//              answers that the authorization is already captured / voided there (our
//              record of that move was lost), that state is recorded and the call answers
//              as a move from it would (a void of a captured payment: invalid_transition).
//   Refund     returns captured money in part or whole, idempotently per (payment,
//              idempotency_key; empty = "full"), never more than was captured, as PlanRefund
//              (payment_state.h) rules, under the payment's row lock (PaymentStore::Refund).
//              The processor is asked with the same key, so a retry refunds nothing twice.
//   VoidStale  (the AuthorizationSweeper's) voids payments left pending or authorized longer
//              than MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S.
//   GetPayment by id, or by idempotency key when id is empty.
//
// Error codes (mercato::ErrorCodeOf on the client): INVALID_ARGUMENT "invalid_card",
// "card_expired", "invalid_amount", "invalid_currency", "invalid_idempotency_key",
// "invalid_argument"; FAILED_PRECONDITION "idempotency_key_reused", "invalid_transition",
// "payment_not_captured", "refund_exceeds_capture";
// NOT_FOUND "payment_not_found".
#pragma once

#include <cstdint>
#include <string>

#include "common/executor.h"
#include "common/limits.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "payment/card.h"
#include "payment/card_processor.h"
#include "payment/config.h"
#include "payment/payment_metrics.h"
#include "payment/payment_store.h"

namespace mercato::payment {

inline constexpr size_t kMaxOrderIdLength = 255;
// The refund key of a Refund without one: the saga's one whole refund.
inline constexpr char kFullRefundKey[] = "full";

struct PaymentServiceOptions {
  // Key of PaymentFingerprint(); see PaymentConfig.
  std::string fingerprint_key;
  int64_t max_amount = kDefaultMaxAmount;
  Clock clock = [] { return absl::Now(); };
};

class PaymentService final : public v1::PaymentService::CallbackService {
 public:
  PaymentService(PaymentStore& store, CardProcessor& processor, BoundedExecutor& executor,
                 PaymentMetrics& metrics, PaymentServiceOptions options)
      : store_(store),
        processor_(processor),
        executor_(executor),
        metrics_(metrics),
        options_(std::move(options)) {}

  // The logic of each RPC, callable without gRPC (unit tests, benchmarks).
  absl::Status DoAuthorize(const v1::AuthorizeRequest& request, v1::Payment* response);
  absl::Status DoCapture(const v1::CaptureRequest& request, v1::Payment* response);
  absl::Status DoVoid(const v1::VoidRequest& request, v1::Payment* response);
  absl::Status DoRefund(const v1::RefundRequest& request, v1::Payment* response);
  absl::Status DoGetPayment(const v1::GetPaymentRequest& request, v1::Payment* response);

  // Voids up to `limit` payments pending or authorized for longer than `age` (whatever the
  // reason: a crash between the steps of Authorize, an order that failed before its
  // authorization was visible to checkout). Returns how many it voided.
  absl::StatusOr<int> VoidStale(absl::Duration age, int limit);

  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* ctx,
                                      const v1::AuthorizeRequest* request,
                                      v1::Payment* response) override;
  grpc::ServerUnaryReactor* Capture(grpc::CallbackServerContext* ctx,
                                    const v1::CaptureRequest* request,
                                    v1::Payment* response) override;
  grpc::ServerUnaryReactor* Void(grpc::CallbackServerContext* ctx, const v1::VoidRequest* request,
                                 v1::Payment* response) override;
  grpc::ServerUnaryReactor* Refund(grpc::CallbackServerContext* ctx,
                                   const v1::RefundRequest* request,
                                   v1::Payment* response) override;
  grpc::ServerUnaryReactor* GetPayment(grpc::CallbackServerContext* ctx,
                                       const v1::GetPaymentRequest* request,
                                       v1::Payment* response) override;

 private:
  // Validates an Authorize request apart from the card's expiry, which is checked only when
  // a new payment is made (so that a replay returns the first result whatever the date).
  absl::StatusOr<ValidatedCard> ValidateAuthorize(const v1::AuthorizeRequest& request) const;
  // The refund a Refund request asks for (INVALID_ARGUMENT for a malformed one).
  absl::StatusOr<NewRefund> ValidateRefund(const v1::RefundRequest& request) const;
  NewPayment NewPaymentFor(const v1::AuthorizeRequest& request, const ValidatedCard& card) const;
  // The answer to a repeat of an idempotency key that has payment `stored`.
  absl::Status Replay(const PaymentRecord& stored, const NewPayment& asked, v1::Payment* response);
  // Asks the processor about `pending` and records its answer.
  absl::Status AskProcessor(const v1::Payment& pending, const ValidatedCard& card,
                            const std::string& cvc, v1::Payment* response);
  absl::Status VoidPayment(const std::string& id, v1::Payment* response);
  // The processor holds payment `id` (in `source` here) in state `there` already (a move whose
  // record was lost, e.g. by a crash between the processor's answer and our commit): records
  // source -> there without asking it again, and answers what moving to `target` from there
  // answers (invalid_transition unless there == target).
  absl::Status Reconcile(const std::string& id, PaymentState source, PaymentState there,
                         PaymentState target);
  // Moves payment `id` to `target` (CAPTURED or VOIDED) with `act` as the
  // processor call.
  absl::Status MovePayment(const std::string& id, PaymentState target,
                           const PaymentStore::ActFn& act, v1::Payment* response);

  PaymentStore& store_;
  CardProcessor& processor_;
  BoundedExecutor& executor_;
  PaymentMetrics& metrics_;
  const PaymentServiceOptions options_;
};

}  // namespace mercato::payment
