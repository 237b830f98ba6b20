#include "payment/postgres_payment_store.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "events/outbox.h"
#include "payment/payment_events.h"
#include "payment/payment_state.h"

namespace mercato::payment {
namespace {

// The first key of the two-key advisory locks taken on idempotency keys (the second is a hash
// of the key). The two-key space does not overlap the one-key space that migrations use.
constexpr int kIdempotencyLockClass = 0x70617931;  // "pay1"

constexpr char kColumns[] =
    "id::text, idempotency_key, state, amount, currency, card_brand, card_last4, decline_code, "
    "order_id, (extract(epoch FROM created_at) * 1000)::bigint, fingerprint, "
    "processor_reference, refunded_amount";

// The id is not echoed: whatever a caller puts there stays out of errors and logs.
absl::Status NotFound(absl::string_view what) {
  return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found",
                       absl::StrCat("no payment with ", what));
}

absl::StatusOr<PaymentRecord> RecordFromRow(const pqxx::row& row) {
  PaymentRecord r;
  v1::Payment& p = r.payment;
  p.set_id(row[0].as<std::string>());
  p.set_idempotency_key(row[1].as<std::string>());
  const auto state = StateFromName(row[2].as<std::string>());
  if (!state) return absl::InternalError("payment row with an unknown state");
  p.set_state(*state);
  p.mutable_amount()->set_amount(row[3].as<int64_t>());
  p.mutable_amount()->set_currency(row[4].as<std::string>());
  p.set_card_brand(row[5].as<std::string>());
  p.set_card_last4(row[6].as<std::string>());
  p.set_decline_code(row[7].as<std::string>());
  p.set_order_id(row[8].as<std::string>());
  p.set_created_at_unix_ms(row[9].as<int64_t>());
  r.fingerprint = row[10].as<std::string>();
  r.processor_reference = row[11].as<std::string>();
  p.mutable_refunded_amount()->set_amount(row[12].as<int64_t>());
  p.mutable_refunded_amount()->set_currency(p.amount().currency());
  return r;
}

// One payment by a condition on `column`, inside an open transaction.
template <typename Txn>
absl::StatusOr<std::optional<PaymentRecord>> SelectOne(Txn& tx, const char* condition,
                                                       const std::string& value) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", kColumns, " FROM payments WHERE ", condition), value);
  if (rows.empty()) return std::optional<PaymentRecord>();
  auto record = RecordFromRow(rows[0]);
  if (!record.ok()) return record.status();
  return std::optional<PaymentRecord>(*std::move(record));
}

// Appends the event of `record` having moved from `from` (payment_events.h), if the move has
// one, to the outbox within `tx`: after the UPDATE that locked the payment, so that one
// payment's events keep their order.
absl::Status AppendMoveEvent(pqxx::work& tx, const PaymentRecord& record, v1::PaymentState from) {
  std::optional<events::v1::Envelope> event = PaymentMovedEvent(record, from);
  return event ? events::AppendToOutbox(tx, *std::move(event)) : absl::OkStatus();
}

// Moves pending payment `id` to the processor's answer, unless it was moved meanwhile (a void
// while the processor was asked): then it is returned as it is.
absl::StatusOr<TransitionResult> RecordAnswer(pqxx::work& tx, const std::string& id,
                                              const ChargeOutcome& outcome) {
  TransitionResult result;
  pqxx::result moved = tx.exec_params(
      absl::StrCat("UPDATE payments SET state = $2, decline_code = $3, "
                   "processor_reference = $4 WHERE id = $1::uuid AND state = 'pending' "
                   "RETURNING ",
                   kColumns),
      id, StateName(outcome.state), outcome.decline_code, outcome.processor_reference);
  if (moved.empty()) {
    auto current = SelectOne(tx, "id = $1::uuid", id);
    if (!current.ok()) return current.status();
    if (!current->has_value()) return NotFound("this id");
    result.record = **std::move(current);
    return result;
  }
  auto record = RecordFromRow(moved[0]);
  if (!record.ok()) return record.status();
  if (absl::Status s = AppendMoveEvent(tx, *record, v1::PAYMENT_STATE_PENDING); !s.ok()) return s;
  result.record = *std::move(record);
  result.changed = true;
  return result;
}

// The amount of payment `id`'s refund with `key`, if there is one.
std::optional<int64_t> EarlierRefund(pqxx::work& tx, const std::string& id,
                                     const std::string& key) {
  pqxx::result rows = tx.exec_params(
      "SELECT amount FROM refunds WHERE payment_id = $1::uuid AND idempotency_key = $2", id, key);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<int64_t>();
}

// Records refund `key` of `amount` of payment `id` and moves the payment to `next_state`.
absl::StatusOr<PaymentRecord> InsertRefund(pqxx::work& tx, const std::string& id,
                                           const std::string& key, int64_t amount,
                                           v1::PaymentState next_state) {
  tx.exec_params(
      "INSERT INTO refunds (payment_id, idempotency_key, amount) VALUES ($1::uuid, $2, $3)", id,
      key, amount);
  pqxx::result moved = tx.exec_params(
      absl::StrCat("UPDATE payments SET refunded_amount = refunded_amount + $2, state = $3 "
                   "WHERE id = $1::uuid RETURNING ",
                   kColumns),
      id, amount, StateName(next_state));
  return RecordFromRow(moved[0]);
}

}  // namespace

absl::StatusOr<AuthorizeResult> PostgresPaymentStore::BeginAuthorization(
    const NewPayment& payment) {
  AuthorizeResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = AuthorizeResult();
    // Calls with this key queue here until the holder commits or rolls back, and then see
    // its payment (each statement of a READ COMMITTED transaction takes a fresh snapshot).
    tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kIdempotencyLockClass,
                   payment.idempotency_key);
    // One statement for the usual case, a new key: the insert, or nothing when the key has a
    // payment (committed before the lock was granted, so the conflict check sees it).
    pqxx::result inserted = tx.exec_params(
        absl::StrCat("INSERT INTO payments (id, idempotency_key, fingerprint, state, amount, "
                     "currency, card_brand, card_last4, order_id) "
                     "VALUES ($1::uuid, $2, $3, 'pending', $4, $5, $6, $7, $8) "
                     "ON CONFLICT (idempotency_key) DO NOTHING RETURNING ",
                     kColumns),
        payment.id, payment.idempotency_key, payment.fingerprint, payment.amount, payment.currency,
        payment.card_brand, payment.card_last4, payment.order_id);
    if (inserted.empty()) {
      auto existing = SelectOne(tx, "idempotency_key = $1", payment.idempotency_key);
      if (!existing.ok()) return existing.status();
      if (!existing->has_value()) return absl::AbortedError("the payment's key changed hands");
      result.record = **std::move(existing);
      return absl::OkStatus();
    }
    auto record = RecordFromRow(inserted[0]);
    if (!record.ok()) return record.status();
    result.record = *std::move(record);
    result.created = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<TransitionResult> PostgresPaymentStore::RecordOutcome(
    const std::string& id, const std::string& idempotency_key, const AskFn& ask) {
  if (!IsUuid(id)) return NotFound("this id");
  TransitionResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = TransitionResult();
    tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kIdempotencyLockClass,
                   idempotency_key);
    // A fresh snapshot: a call that held the lock before may have answered it. A payment
    // with another key is not this call's (its lock would not be the one held).
    auto current = SelectOne(tx, "id = $1::uuid", id);
    if (!current.ok()) return current.status();
    if (!current->has_value() || (*current)->payment.idempotency_key() != idempotency_key) {
      return NotFound("this id");
    }
    result.record = **std::move(current);
    if (result.record.payment.state() != v1::PAYMENT_STATE_PENDING) return absl::OkStatus();
    absl::StatusOr<ChargeOutcome> outcome = ask();
    if (!outcome.ok()) return outcome.status();
    auto answered = RecordAnswer(tx, id, *outcome);
    if (!answered.ok()) return answered.status();
    result = *std::move(answered);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<OpenPayment>> PostgresPaymentStore::ListOpenOlderThan(absl::Duration age,
                                                                                 int limit) {
  std::vector<OpenPayment> open;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        open.clear();
        pqxx::result rows = tx.exec_params(
            "SELECT id::text, state FROM payments WHERE state IN ('pending', 'authorized') "
            "AND created_at < now() - $1::float8 * interval '1 millisecond' "
            "ORDER BY created_at LIMIT $2",
            absl::ToDoubleMilliseconds(age), limit);
        for (const auto& row : rows) {
          auto state = StateFromName(row[1].as<std::string>());
          if (!state) return absl::InternalError("payment row with an unknown state");
          open.push_back({row[0].as<std::string>(), *state});
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return open;
}

absl::StatusOr<TransitionResult> PostgresPaymentStore::Transition(const std::string& id,
                                                                  v1::PaymentState from,
                                                                  v1::PaymentState to,
                                                                  const ActFn& act) {
  if (!IsUuid(id)) return NotFound("this id");
  TransitionResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = TransitionResult();
    // The row lock taken here makes concurrent moves of this payment wait; when they resume,
    // the WHERE clause is re-checked against the committed state, so only one matches.
    pqxx::result moved = tx.exec_params(
        absl::StrCat("UPDATE payments SET state = $3 WHERE id = $1::uuid AND state = $2 "
                     "RETURNING ",
                     kColumns),
        id, StateName(from), StateName(to));
    if (moved.empty()) {
      auto current = SelectOne(tx, "id = $1::uuid", id);
      if (!current.ok()) return current.status();
      if (!current->has_value()) return NotFound("this id");
      result.record = **std::move(current);
      return absl::OkStatus();
    }
    auto record = RecordFromRow(moved[0]);
    if (!record.ok()) return record.status();
    if (absl::Status s = act(*record); !s.ok()) return s;
    if (absl::Status s = AppendMoveEvent(tx, *record, from); !s.ok()) return s;
    result.record = *std::move(record);
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<RefundResult> PostgresPaymentStore::Refund(const NewRefund& refund,
                                                          const RefundFn& act) {
  const std::string& id = refund.payment_id;
  if (!IsUuid(id)) return NotFound("this id");
  RefundResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = RefundResult();
    // Refunds of this payment (and its other moves) queue here until the holder commits;
    // then this one sees the payment and the refunds as they are.
    auto found = SelectOne(tx, "id = $1::uuid FOR UPDATE", id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return NotFound("this id");
    result.record = **std::move(found);
    result.from = result.record.payment.state();
    absl::StatusOr<RefundPlan> plan =
        PlanRefund(result.record.payment, refund.amount ? &*refund.amount : nullptr,
                   EarlierRefund(tx, id, refund.idempotency_key));
    if (!plan.ok()) return plan.status();
    if (plan->replay) return absl::OkStatus();
    if (absl::Status s = act(result.record, plan->amount); !s.ok()) return s;
    auto moved = InsertRefund(tx, id, refund.idempotency_key, plan->amount, plan->next_state);
    if (!moved.ok()) return moved.status();
    events::v1::Envelope event = PaymentRefundedEvent(*moved, plan->amount, refund.idempotency_key);
    if (absl::Status s = events::AppendToOutbox(tx, std::move(event)); !s.ok()) return s;
    result.record = *std::move(moved);
    result.amount = plan->amount;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<PaymentRecord> PostgresPaymentStore::Get(const std::string& id) {
  if (!IsUuid(id)) return NotFound("this id");
  std::optional<PaymentRecord> found;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto one = SelectOne(tx, "id = $1::uuid", id);
        if (!one.ok()) return one.status();
        found = *std::move(one);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!found) return NotFound("this id");
  return *std::move(found);
}

absl::StatusOr<PaymentRecord> PostgresPaymentStore::GetByIdempotencyKey(const std::string& key) {
  std::optional<PaymentRecord> found;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto one = SelectOne(tx, "idempotency_key = $1", key);
        if (!one.ok()) return one.status();
        found = *std::move(one);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!found) return NotFound("this idempotency key");
  return *std::move(found);
}

absl::StatusOr<std::vector<PaymentEvent>> PostgresPaymentStore::ListEvents(const std::string& id) {
  std::vector<PaymentEvent> events;
  if (!IsUuid(id)) return events;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        events.clear();
        pqxx::result rows = tx.exec_params(
            "SELECT coalesce(from_state, ''), to_state, decline_code, "
            "(extract(epoch FROM created_at) * 1000000)::bigint FROM payment_events "
            "WHERE payment_id = $1::uuid ORDER BY id",
            id);
        for (const auto& row : rows) {
          PaymentEvent e;
          const std::string from = row[0].as<std::string>();
          if (!from.empty()) {
            e.from = StateFromName(from);
            if (!e.from) return absl::InternalError("payment event with an unknown state");
          }
          auto to = StateFromName(row[1].as<std::string>());
          if (!to) return absl::InternalError("payment event with an unknown state");
          e.to = *to;
          e.decline_code = row[2].as<std::string>();
          e.at = absl::FromUnixMicros(row[3].as<int64_t>());
          events.push_back(std::move(e));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return events;
}

}  // namespace mercato::payment
