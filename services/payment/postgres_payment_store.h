// PaymentStore on PostgreSQL (schema in migrations/).
//
// BeginAuthorization takes a transaction-scoped advisory lock on the idempotency key, so that
// concurrent calls with one key queue up and only the first inserts (INSERT ... ON CONFLICT
// (idempotency_key) DO NOTHING: the existing payment is read only when nothing was inserted);
// the UNIQUE constraint on payments.idempotency_key makes a second row impossible even without
// the lock. The pending row is committed before the service asks the processor. RecordOutcome
// asks the processor in a second transaction that holds the same lock (on the key the caller
// got from BeginAuthorization, checked against the row), not the row, so repeats queue behind
// it while a Void can still move the row; its update and Transition are conditional
// UPDATE ... WHERE state = <source>; triggers reject illegal moves and write payment_events.
// Refund locks the payment's row (SELECT ... FOR UPDATE) for its whole transaction.
#pragma once

#include <vector>

#include "common/embedded_file.h"
#include "db/pg_pool.h"
#include "payment/payment_store.h"

namespace mercato::payment {

// The schema (migrations/*.sql, compiled in), for mercato::ApplyMigrations().
const std::vector<EmbeddedFile>& Migrations();

class PostgresPaymentStore final : public PaymentStore {
 public:
  explicit PostgresPaymentStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<AuthorizeResult> BeginAuthorization(const NewPayment& payment) override;
  absl::StatusOr<TransitionResult> RecordOutcome(const std::string& id,
                                                 const std::string& idempotency_key,
                                                 const AskFn& ask) override;
  absl::StatusOr<std::vector<OpenPayment>> ListOpenOlderThan(absl::Duration age,
                                                             int limit) override;
  absl::StatusOr<TransitionResult> Transition(const std::string& id, v1::PaymentState from,
                                              v1::PaymentState to, const ActFn& act) override;
  absl::StatusOr<RefundResult> Refund(const NewRefund& refund, const RefundFn& act) override;
  absl::StatusOr<PaymentRecord> Get(const std::string& id) override;
  absl::StatusOr<PaymentRecord> GetByIdempotencyKey(const std::string& key) override;
  absl::StatusOr<std::vector<PaymentEvent>> ListEvents(const std::string& id) override;

 private:
  PgPool& pool_;
};

}  // namespace mercato::payment
