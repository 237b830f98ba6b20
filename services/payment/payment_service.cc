#include "payment/payment_service.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/handler.h"

namespace mercato::payment {
namespace {

// A conditional move can find the payment neither in the source nor the target state and
// then, on the re-read, in the source state (a concurrent move into the source committed in
// between); it is simply tried again.
constexpr int kMoveAttempts = 3;

absl::Status InvalidArgument(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

bool IsCurrencyCode(const std::string& s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsPrintableAscii(const std::string& s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ValidatedCard> PaymentService::ValidateAuthorize(
    const v1::AuthorizeRequest& request) const {
  const std::string& key = request.idempotency_key();
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength || !IsPrintableAscii(key)) {
    return InvalidArgument("invalid_idempotency_key",
                           absl::StrCat("idempotency_key must be 1 to ", kMaxIdempotencyKeyLength,
                                        " printable ASCII characters"));
  }
  const int64_t amount = request.amount().amount();
  if (amount <= 0 || amount > options_.max_amount) {
    return InvalidArgument("invalid_amount", absl::StrCat("amount must be between 1 and ",
                                                          options_.max_amount, " minor units"));
  }
  if (!IsCurrencyCode(request.amount().currency())) {
    return InvalidArgument("invalid_currency",
                           "currency must be an ISO 4217 code of three upper-case letters");
  }
  if (request.order_id().size() > kMaxOrderIdLength) {
    return InvalidArgument("invalid_argument", absl::StrCat("order_id must be at most ",
                                                            kMaxOrderIdLength, " characters"));
  }
  if (!request.has_card()) return InvalidArgument("invalid_card", "card is required");
  return ParseCard(request.card(), options_.clock());
}

absl::Status PaymentService::DoAuthorize(const v1::AuthorizeRequest& request,
                                         v1::Payment* response) {
  auto card = ValidateAuthorize(request);
  if (!card.ok()) {
    metrics_.CountAuthorization(AuthorizeOutcome::kInvalid);
    return card.status();
  }
  NewPayment payment;
  payment.id = NewUuid();
  payment.idempotency_key = request.idempotency_key();
  payment.amount = request.amount().amount();
  payment.currency = request.amount().currency();
  payment.fingerprint =
      PaymentFingerprint(options_.fingerprint_key, card->number, payment.amount, payment.currency);
  payment.card_brand = card->brand;
  payment.card_last4 = card->last4;
  payment.order_id = request.order_id();

  // Runs only for a key that has no payment yet, inside the transaction that records it.
  auto charge = [&]() -> absl::StatusOr<ChargeOutcome> {
    if (absl::Status s = CheckNotExpired(*card, options_.clock()); !s.ok()) return s;
    auto result = processor_.Authorize({.card = *card,
                                        .cvc = request.card().cvc(),
                                        .amount = payment.amount,
                                        .currency = payment.currency,
                                        .idempotency_key = payment.idempotency_key});
    if (!result.ok()) return result.status();
    ChargeOutcome outcome;
    outcome.state = result->approved ? v1::PAYMENT_STATE_AUTHORIZED : v1::PAYMENT_STATE_DECLINED;
    outcome.decline_code = result->approved ? "" : result->decline_code;
    if (!result->approved && outcome.decline_code.empty()) outcome.decline_code = "card_declined";
    outcome.processor_reference = result->reference;
    return outcome;
  };
  absl::StatusOr<AuthorizeResult> result = store_.AuthorizeOnce(payment, charge);
  if (!result.ok()) {
    metrics_.CountAuthorization(result.status().code() == absl::StatusCode::kInvalidArgument
                                    ? AuthorizeOutcome::kInvalid
                                    : AuthorizeOutcome::kError);
    return result.status();
  }
  const v1::Payment& stored = result->record.payment;
  if (!result->created) {
    if (result->record.fingerprint != payment.fingerprint) {
      metrics_.CountAuthorization(AuthorizeOutcome::kKeyReused);
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                           "this idempotency key was used for a payment with another card, "
                           "amount or currency");
    }
    metrics_.CountAuthorization(AuthorizeOutcome::kReplayed);
    *response = stored;
    return absl::OkStatus();
  }
  const bool approved = stored.state() == v1::PAYMENT_STATE_AUTHORIZED;
  metrics_.CountAuthorization(approved ? AuthorizeOutcome::kApproved : AuthorizeOutcome::kDeclined);
  metrics_.CountTransition(std::nullopt, stored.state());
  // Only ids, amounts, brand and last four: nothing a caller typed free-form (a misused
  // order id could hold anything) reaches the log.
  spdlog::info("payment {} {}{}: {} {} on {} ending {}", stored.id(), StateName(stored.state()),
               approved ? "" : absl::StrCat(" (", stored.decline_code(), ")"),
               stored.amount().amount(), stored.amount().currency(), stored.card_brand(),
               stored.card_last4());
  *response = stored;
  return absl::OkStatus();
}

absl::Status PaymentService::MovePayment(const std::string& id, PaymentState target,
                                         const PaymentStore::ActFn& act, v1::Payment* response) {
  if (id.empty()) return InvalidArgument("invalid_argument", "payment_id is required");
  const PaymentState source = *SourceStateFor(target);
  for (int attempt = 0; attempt < kMoveAttempts; ++attempt) {
    absl::StatusOr<TransitionResult> result = store_.Transition(id, source, target, act);
    if (!result.ok()) return result.status();
    const v1::Payment& payment = result->record.payment;
    if (result->changed) {
      metrics_.CountTransition(source, target);
      spdlog::info("payment {} {} -> {}", payment.id(), StateName(source), StateName(target));
      *response = payment;
      return absl::OkStatus();
    }
    switch (ClassifyTransition(payment.state(), target)) {
      case TransitionKind::kAlreadyDone:
        *response = payment;
        return absl::OkStatus();
      case TransitionKind::kIllegal:
        return CheckTransition(payment.state(), target);
      case TransitionKind::kApply:
        continue;  // moved into the source state meanwhile: try again
    }
  }
  return absl::AbortedError("the payment changed concurrently; try again");
}

absl::Status PaymentService::DoCapture(const v1::CaptureRequest& request, v1::Payment* response) {
  return MovePayment(
      request.payment_id(), v1::PAYMENT_STATE_CAPTURED,
      [this](const PaymentRecord& r) {
        return processor_.Capture(r.processor_reference, r.payment.amount().amount());
      },
      response);
}

absl::Status PaymentService::DoVoid(const v1::VoidRequest& request, v1::Payment* response) {
  return MovePayment(
      request.payment_id(), v1::PAYMENT_STATE_VOIDED,
      [this](const PaymentRecord& r) { return processor_.Void(r.processor_reference); }, response);
}

absl::Status PaymentService::DoRefund(const v1::RefundRequest& request, v1::Payment* response) {
  return MovePayment(
      request.payment_id(), v1::PAYMENT_STATE_REFUNDED,
      [this](const PaymentRecord& r) {
        return processor_.Refund(r.processor_reference, r.payment.amount().amount());
      },
      response);
}

absl::Status PaymentService::DoGetPayment(const v1::GetPaymentRequest& request,
                                          v1::Payment* response) {
  absl::StatusOr<PaymentRecord> record;
  if (!request.id().empty()) {
    record = store_.Get(request.id());
  } else if (!request.idempotency_key().empty()) {
    record = store_.GetByIdempotencyKey(request.idempotency_key());
  } else {
    return InvalidArgument("invalid_argument", "id or idempotency_key is required");
  }
  if (!record.ok()) return record.status();
  *response = std::move(record->payment);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* PaymentService::Authorize(grpc::CallbackServerContext* ctx,
                                                    const v1::AuthorizeRequest* request,
                                                    v1::Payment* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoAuthorize(*request, response); });
}

grpc::ServerUnaryReactor* PaymentService::Capture(grpc::CallbackServerContext* ctx,
                                                  const v1::CaptureRequest* request,
                                                  v1::Payment* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoCapture(*request, response); });
}

grpc::ServerUnaryReactor* PaymentService::Void(grpc::CallbackServerContext* ctx,
                                               const v1::VoidRequest* request,
                                               v1::Payment* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoVoid(*request, response); });
}

grpc::ServerUnaryReactor* PaymentService::Refund(grpc::CallbackServerContext* ctx,
                                                 const v1::RefundRequest* request,
                                                 v1::Payment* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoRefund(*request, response); });
}

grpc::ServerUnaryReactor* PaymentService::GetPayment(grpc::CallbackServerContext* ctx,
                                                     const v1::GetPaymentRequest* request,
                                                     v1::Payment* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoGetPayment(*request, response); });
}

}  // namespace mercato::payment
