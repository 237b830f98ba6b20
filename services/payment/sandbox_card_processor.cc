#include "payment/sandbox_card_processor.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::payment {
namespace {

constexpr char kReferencePrefix[] = "sbx_";

absl::Status CheckReference(const std::string& reference) {
  if (!absl::StartsWith(reference, kReferencePrefix)) {
    return absl::InvalidArgumentError("not a sandbox authorization reference");
  }
  return absl::OkStatus();
}

}  // namespace

std::string SandboxCardProcessor::ReferenceFor(const std::string& idempotency_key) {
  unsigned char hash[12];
  crypto_generichash(hash, sizeof hash,
                     reinterpret_cast<const unsigned char*>(idempotency_key.data()),
                     idempotency_key.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return absl::StrCat(kReferencePrefix, hex);
}

absl::StatusOr<AuthorizationResult> SandboxCardProcessor::Authorize(
    const AuthorizationRequest& request) {
  AuthorizationResult result;
  result.reference = ReferenceFor(request.idempotency_key);
  if (request.card.number == kSandboxDeclinedCard) {
    result.decline_code = "card_declined";
  } else if (request.card.number == kSandboxInsufficientFundsCard) {
    result.decline_code = "insufficient_funds";
  } else {
    result.approved = true;
  }
  if (ledger_ == nullptr) return result;
  absl::Status recorded = ledger_->Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO sandbox_authorizations (reference, idempotency_key, state, amount) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
        result.reference, request.idempotency_key,
        std::string(result.approved ? "authorized" : "declined"), request.amount);
    return absl::OkStatus();
  });
  if (!recorded.ok()) return absl::UnavailableError("sandbox processor: ledger unavailable");
  return result;
}

absl::StatusOr<std::string> SandboxCardProcessor::Move(const std::string& reference,
                                                       const char* from, const char* to) {
  if (absl::Status s = CheckReference(reference); !s.ok()) return s;
  if (ledger_ == nullptr) return std::string();
  std::string state;
  absl::Status status = ledger_->Transact([&](pqxx::work& tx) -> absl::Status {
    auto row = tx.exec_params(
        "UPDATE sandbox_authorizations SET state = CASE WHEN state = $2 THEN $3 ELSE state END, "
        "updated_at = now() WHERE reference = $1 RETURNING state",
        reference, std::string(from), std::string(to));
    state = row.empty() ? "" : row[0][0].as<std::string>();
    return absl::OkStatus();
  });
  if (!status.ok()) return absl::UnavailableError("sandbox processor: ledger unavailable");
  return state;
}

absl::Status SandboxCardProcessor::Settled(const absl::StatusOr<std::string>& state,
                                           const char* wanted, const char* also) {
  if (!state.ok()) return state.status();
  if (state->empty() || *state == wanted || (also != nullptr && *state == also)) {
    return absl::OkStatus();
  }
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat(kProcessorAlreadyPrefix, *state),
                       absl::StrCat("sandbox processor: the authorization is ", *state));
}

absl::Status SandboxCardProcessor::Capture(const std::string& reference, int64_t) {
  return Settled(Move(reference, "authorized", "captured"), "captured");
}

absl::Status SandboxCardProcessor::Void(const std::string& reference) {
  return Settled(Move(reference, "authorized", "voided"), "voided");
}

absl::Status SandboxCardProcessor::RefundInLedger(pqxx::work& tx, const std::string& reference,
                                                  int64_t amount, const std::string& refund_key) {
  pqxx::result auth = tx.exec_params(
      "SELECT state, amount, refunded FROM sandbox_authorizations WHERE reference = $1 "
      "FOR UPDATE",
      reference);
  if (auth.empty()) return absl::OkStatus();  // not one it knows: as Settled
  pqxx::result earlier =
      tx.exec_params("SELECT amount FROM sandbox_refunds WHERE reference = $1 AND refund_key = $2",
                     reference, refund_key);
  if (!earlier.empty()) {
    if (earlier[0][0].as<int64_t>() == amount) return absl::OkStatus();
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                         "sandbox processor: refund key used with another amount");
  }
  const std::string state = auth[0][0].as<std::string>();
  if (state != "captured" && state != "partially_refunded") return Settled(state, "captured");
  const int64_t total = auth[0][1].as<int64_t>();
  const int64_t refunded = auth[0][2].as<int64_t>() + amount;
  if (amount <= 0 || refunded > total) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture",
                         "sandbox processor: refunds exceed the captured amount");
  }
  tx.exec_params("INSERT INTO sandbox_refunds (reference, refund_key, amount) VALUES ($1, $2, $3)",
                 reference, refund_key, amount);
  tx.exec_params(
      "UPDATE sandbox_authorizations SET refunded = $2, state = $3, updated_at = now() "
      "WHERE reference = $1",
      reference, refunded, std::string(refunded == total ? "refunded" : "partially_refunded"));
  return absl::OkStatus();
}

absl::Status SandboxCardProcessor::Refund(const std::string& reference, int64_t amount,
                                          const std::string& refund_key) {
  if (absl::Status s = CheckReference(reference); !s.ok()) return s;
  if (ledger_ == nullptr) return absl::OkStatus();
  absl::Status refused;
  absl::Status status = ledger_->Transact([&](pqxx::work& tx) -> absl::Status {
    refused = RefundInLedger(tx, reference, amount, refund_key);
    return absl::OkStatus();  // a refusal changed nothing: nothing to roll back
  });
  if (!status.ok()) return absl::UnavailableError("sandbox processor: ledger unavailable");
  return refused;
}

absl::Status SandboxCardProcessor::VoidByKey(const std::string& idempotency_key) {
  // A declined or never-made authorization has nothing to cancel.
  return Settled(Move(ReferenceFor(idempotency_key), "authorized", "voided"), "voided", "declined");
}

}  // namespace mercato::payment
