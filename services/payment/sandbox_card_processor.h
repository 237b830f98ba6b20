// An in-process, deterministic CardProcessor for development and tests; it moves no money.
// Outcomes depend on the card number only (the service has already checked Luhn/expiry):
//
//   4242424242424242   approved
//   4000000000000002   declined "card_declined"
//   4000000000009995   declined "insufficient_funds"
//   any other number   approved
//
// Idempotent as a real processor: the reference is derived from the idempotency key, so
// asking again with a key returns the same authorization. With a ledger (a pool on the
// payment database, table sandbox_authorizations) it records what it authorized and each
// capture, void and refund in its own transactions, outside the payment service's, as an
// external processor would: what it holds survives a crash of the payment service, and tests
// can check that no authorization is left behind. Capture, Void and Refund of an
// authorization it approved succeed (also when repeated); moving one the ledger holds in
// another state is FAILED_PRECONDITION "processor_already_<state>" (card_processor.h).
// Refunds (table sandbox_refunds) go captured -> partially_refunded -> refunded; a repeated
// refund key refunds nothing more (FAILED_PRECONDITION "idempotency_key_reused" with another
// amount), and refunds beyond the captured amount are FAILED_PRECONDITION
// "refund_exceeds_capture".
//
//   SandboxCardProcessor processor(&pool);   // or SandboxCardProcessor() without a ledger
#pragma once

#include "db/pg_pool.h"
#include "payment/card_processor.h"

namespace mercato::payment {

inline constexpr char kSandboxApprovedCard[] = "4242424242424242";
inline constexpr char kSandboxDeclinedCard[] = "4000000000000002";
inline constexpr char kSandboxInsufficientFundsCard[] = "4000000000009995";
// Connections of the ledger's own pool (main.cc): not taken from the payment service's pool,
// which its transactions may all hold while they wait for the processor.
inline constexpr int kSandboxLedgerConnections = 2;

class SandboxCardProcessor final : public CardProcessor {
 public:
  explicit SandboxCardProcessor(PgPool* ledger = nullptr) : ledger_(ledger) {}

  absl::StatusOr<AuthorizationResult> Authorize(const AuthorizationRequest& request) override;
  absl::Status Capture(const std::string& reference, int64_t amount) override;
  absl::Status Void(const std::string& reference) override;
  absl::Status Refund(const std::string& reference, int64_t amount,
                      const std::string& refund_key) override;
  absl::Status VoidByKey(const std::string& idempotency_key) override;

  // The reference of the authorization made for an idempotency key.
  static std::string ReferenceFor(const std::string& idempotency_key);

 private:
  // Moves the ledger's authorization `reference` from `from` to `to` if it is in `from`;
  // returns the state it is in afterwards ("" without a ledger or when unknown to it).
  absl::StatusOr<std::string> Move(const std::string& reference, const char* from, const char* to);
  // Refund's work in the ledger's transaction.
  static absl::Status RefundInLedger(pqxx::work& tx, const std::string& reference, int64_t amount,
                                     const std::string& refund_key);
  // OK when the ledger holds the authorization in `wanted` (or `also`), or does not know it.
  static absl::Status Settled(const absl::StatusOr<std::string>& state, const char* wanted,
                              const char* also = nullptr);

  PgPool* ledger_;
};

}  // namespace mercato::payment
