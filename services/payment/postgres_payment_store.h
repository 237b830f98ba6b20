// PaymentStore on PostgreSQL (schema in migrations/).
//
// AuthorizeOnce takes a transaction-scoped advisory lock on the idempotency key, so that
// concurrent calls with one key queue up and only the first asks the processor; the UNIQUE
// constraint on payments.idempotency_key (INSERT ... ON CONFLICT DO NOTHING, then read back)
// makes a second row impossible even without the lock. Transition is a conditional
// UPDATE ... WHERE state = <source>; triggers reject illegal moves and write payment_events.
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

  absl::StatusOr<AuthorizeResult> AuthorizeOnce(const NewPayment& payment,
                                                const ChargeFn& charge) override;
  absl::StatusOr<TransitionResult> Transition(const std::string& id, v1::PaymentState from,
                                              v1::PaymentState to, const ActFn& act) override;
  absl::StatusOr<PaymentRecord> Get(const std::string& id) override;
  absl::StatusOr<PaymentRecord> GetByIdempotencyKey(const std::string& key) override;
  absl::StatusOr<std::vector<PaymentEvent>> ListEvents(const std::string& id) override;

 private:
  PgPool& pool_;
};

}  // namespace mercato::payment
