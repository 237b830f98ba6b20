#include "payment/payment_service.h"

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fault_injection.h"
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

// The state a processor reported an authorization to be in already, when a move found it
// there (ProcessorAlreadyError in card_processor.h); nullopt for any other error.
std::optional<PaymentState> ProcessorAlready(const absl::Status& status) {
  const std::string code = ExplicitErrorCodeOf(status);
  if (!absl::StartsWith(code, kProcessorAlreadyPrefix)) return std::nullopt;
  return StateFromName(absl::string_view(code).substr(sizeof(kProcessorAlreadyPrefix) - 1));
}

// What is recorded of the processor's answer.
ChargeOutcome OutcomeOf(const AuthorizationResult& answer) {
  ChargeOutcome outcome;
  outcome.state = answer.approved ? v1::PAYMENT_STATE_AUTHORIZED : v1::PAYMENT_STATE_DECLINED;
  outcome.decline_code = answer.approved ? "" : answer.decline_code;
  if (!answer.approved && outcome.decline_code.empty()) outcome.decline_code = "card_declined";
  outcome.processor_reference = answer.reference;
  return outcome;
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

NewPayment PaymentService::NewPaymentFor(const v1::AuthorizeRequest& request,
                                         const ValidatedCard& card) const {
  NewPayment payment;
  payment.id = NewUuid();
  payment.idempotency_key = request.idempotency_key();
  payment.amount = request.amount().amount();
  payment.currency = request.amount().currency();
  payment.fingerprint =
      PaymentFingerprint(options_.fingerprint_key, card.number, payment.amount, payment.currency);
  payment.card_brand = card.brand;
  payment.card_last4 = card.last4;
  payment.order_id = request.order_id();
  return payment;
}

absl::Status PaymentService::Replay(const PaymentRecord& stored, const NewPayment& asked,
                                    v1::Payment* response) {
  if (stored.fingerprint != asked.fingerprint) {
    metrics_.CountAuthorization(AuthorizeOutcome::kKeyReused);
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                         "this idempotency key was used for a payment with another card, "
                         "amount or currency");
  }
  metrics_.CountAuthorization(AuthorizeOutcome::kReplayed);
  *response = stored.payment;
  return absl::OkStatus();
}

absl::Status PaymentService::DoAuthorize(const v1::AuthorizeRequest& request,
                                         v1::Payment* response) {
  auto card = ValidateAuthorize(request);
  if (!card.ok()) {
    metrics_.CountAuthorization(AuthorizeOutcome::kInvalid);
    return card.status();
  }
  const NewPayment payment = NewPaymentFor(request, *card);
  if (absl::Status expired = CheckNotExpired(*card, options_.clock()); !expired.ok()) {
    // A repeat of a payment made before the card expired still gets the first answer.
    auto stored = store_.GetByIdempotencyKey(payment.idempotency_key);
    if (stored.ok()) return Replay(*stored, payment, response);
    metrics_.CountAuthorization(AuthorizeOutcome::kInvalid);
    return expired;
  }
  // The payment is committed PENDING before the processor is asked: whatever happens next,
  // a row says that an authorization may exist.
  absl::StatusOr<AuthorizeResult> begun = store_.BeginAuthorization(payment);
  if (!begun.ok()) {
    metrics_.CountAuthorization(AuthorizeOutcome::kError);
    return begun.status();
  }
  const PaymentRecord& stored = begun->record;
  if (!begun->created && (stored.fingerprint != payment.fingerprint ||
                          stored.payment.state() != v1::PAYMENT_STATE_PENDING)) {
    return Replay(stored, payment, response);
  }
  // New, or left pending by a crash or an unreachable processor: (again) to the processor,
  // which answers a repeated idempotency key with the same authorization.
  if (begun->created) metrics_.CountTransition(std::nullopt, v1::PAYMENT_STATE_PENDING);
  CrashPoint("payment.after_pending");
  return AskProcessor(stored.payment, *card, request.card().cvc(), response);
}

absl::Status PaymentService::AskProcessor(const v1::Payment& pending, const ValidatedCard& card,
                                          const std::string& cvc, v1::Payment* response) {
  std::optional<AuthorizationResult> answer;
  auto ask = [&]() -> absl::StatusOr<ChargeOutcome> {
    auto result = processor_.Authorize({.card = card,
                                        .cvc = cvc,
                                        .amount = pending.amount().amount(),
                                        .currency = pending.amount().currency(),
                                        .idempotency_key = pending.idempotency_key()});
    if (!result.ok()) return result.status();
    CrashPoint("payment.after_processor");
    answer = *result;
    return OutcomeOf(*result);
  };
  absl::StatusOr<TransitionResult> recorded =
      store_.RecordOutcome(pending.id(), pending.idempotency_key(), ask);
  if (!recorded.ok()) {
    // The payment stays pending: a repeat asks again; otherwise it is voided.
    metrics_.CountAuthorization(AuthorizeOutcome::kError);
    return recorded.status();
  }
  CrashPoint("payment.after_record");
  const v1::Payment& stored = recorded->record.payment;
  if (!recorded->changed) {
    // Answered by the call that was asking when this one came, or voided meanwhile (by
    // checkout's recovery or the sweeper, perhaps before the processor made this
    // authorization: then it must not stay behind).
    if (answer && answer->approved && stored.state() == v1::PAYMENT_STATE_VOIDED) {
      if (absl::Status s = processor_.Void(answer->reference); !s.ok()) {
        spdlog::warn("payment {} was voided while authorizing; voiding at the processor failed: {}",
                     stored.id(), s);
      }
    }
    metrics_.CountAuthorization(AuthorizeOutcome::kReplayed);
    *response = stored;
    return absl::OkStatus();
  }
  const bool approved = stored.state() == v1::PAYMENT_STATE_AUTHORIZED;
  metrics_.CountAuthorization(approved ? AuthorizeOutcome::kApproved : AuthorizeOutcome::kDeclined);
  metrics_.CountTransition(v1::PAYMENT_STATE_PENDING, stored.state());
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
  PaymentState source = *SourceStateFor(target);
  for (int attempt = 0; attempt < kMoveAttempts; ++attempt) {
    absl::StatusOr<TransitionResult> result = store_.Transition(id, source, target, act);
    if (!result.ok()) {
      std::optional<PaymentState> there = ProcessorAlready(result.status());
      if (!there) return result.status();
      return Reconcile(id, source, *there, target);
    }
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
        // In another source state (pending, for a void), or moved into the source state
        // meanwhile: try again from where it is.
        source = payment.state();
        continue;
    }
  }
  return absl::AbortedError("the payment changed concurrently; try again");
}

absl::Status PaymentService::Reconcile(const std::string& id, PaymentState source,
                                       PaymentState there, PaymentState target) {
  auto recorded =
      store_.Transition(id, source, there, [](const PaymentRecord&) { return absl::OkStatus(); });
  if (!recorded.ok()) return recorded.status();
  if (recorded->changed) {
    metrics_.CountTransition(source, there);
    spdlog::warn(
        "payment {} was already {} at the processor (a move whose record was lost): "
        "recorded {} -> {}",
        id, StateName(there), StateName(source), StateName(there));
  }
  return CheckTransition(recorded->record.payment.state(), target);
}

absl::Status PaymentService::DoCapture(const v1::CaptureRequest& request, v1::Payment* response) {
  return MovePayment(
      request.payment_id(), v1::PAYMENT_STATE_CAPTURED,
      [this](const PaymentRecord& r) {
        return processor_.Capture(r.processor_reference, r.payment.amount().amount());
      },
      response);
}

absl::Status PaymentService::VoidPayment(const std::string& id, v1::Payment* response) {
  return MovePayment(
      id, v1::PAYMENT_STATE_VOIDED,
      [this](const PaymentRecord& r) {
        // A pending payment has no reference (its answer was never recorded): cancel whatever
        // the processor made for its key.
        return r.processor_reference.empty() ? processor_.VoidByKey(r.payment.idempotency_key())
                                             : processor_.Void(r.processor_reference);
      },
      response);
}

absl::Status PaymentService::DoVoid(const v1::VoidRequest& request, v1::Payment* response) {
  return VoidPayment(request.payment_id(), response);
}

absl::StatusOr<int> PaymentService::VoidStale(absl::Duration age, int limit) {
  auto open = store_.ListOpenOlderThan(age, limit);
  if (!open.ok()) return open.status();
  int voided = 0;
  for (const OpenPayment& p : *open) {
    v1::Payment out;
    absl::Status s = VoidPayment(p.id, &out);
    if (s.ok() && out.state() == v1::PAYMENT_STATE_VOIDED) {
      ++voided;
      spdlog::warn("payment {} was left {} for longer than {}: voided", p.id, StateName(p.state),
                   absl::FormatDuration(age));
    } else if (!s.ok() && ErrorCodeOf(s) != "invalid_transition") {
      // Captured meanwhile is fine (invalid_transition); anything else is tried next sweep.
      spdlog::warn("voiding stale payment {} failed: {}", p.id, s);
    }
  }
  return voided;
}

absl::StatusOr<NewRefund> PaymentService::ValidateRefund(const v1::RefundRequest& request) const {
  if (request.payment_id().empty()) {
    return InvalidArgument("invalid_argument", "payment_id is required");
  }
  const std::string& key = request.idempotency_key();
  if (key.size() > kMaxIdempotencyKeyLength || !IsPrintableAscii(key)) {
    return InvalidArgument("invalid_idempotency_key",
                           absl::StrCat("idempotency_key must be at most ",
                                        kMaxIdempotencyKeyLength, " printable ASCII characters"));
  }
  if (request.has_amount() && request.amount().amount() <= 0) {
    return InvalidArgument("invalid_amount", "a refund's amount must be positive");
  }
  NewRefund refund{.payment_id = request.payment_id(),
                   .idempotency_key = key.empty() ? kFullRefundKey : key};
  if (request.has_amount()) refund.amount = request.amount();
  return refund;
}

absl::Status PaymentService::DoRefund(const v1::RefundRequest& request, v1::Payment* response) {
  absl::StatusOr<NewRefund> refund = ValidateRefund(request);
  if (!refund.ok()) return refund.status();
  const std::string& key = refund->idempotency_key;
  absl::StatusOr<RefundResult> result =
      store_.Refund(*refund, [this, &key](const PaymentRecord& r, int64_t amount) {
        return processor_.Refund(r.processor_reference, amount, key);
      });
  if (!result.ok()) return result.status();
  const v1::Payment& payment = result->record.payment;
  if (result->amount > 0) {
    if (payment.state() != result->from) metrics_.CountTransition(result->from, payment.state());
    spdlog::info("payment {} refunded {} {} ({} of {} refunded): {}", payment.id(), result->amount,
                 payment.amount().currency(), payment.refunded_amount().amount(),
                 payment.amount().amount(), StateName(payment.state()));
  }
  *response = payment;
  return absl::OkStatus();
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
