// PostgresPaymentStore (and the service on top of it) against a real PostgreSQL:
// idempotency under concurrency, conditional state moves under concurrency, the database's
// own state-machine guard, history, and that no card number reaches any row.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "db/migrations.h"
#include "mercato/events/v1/events.pb.h"
#include "payment/authorization_sweeper.h"
#include "payment/payment_service.h"
#include "payment/postgres_payment_store.h"
#include "payment/sandbox_card_processor.h"
#include "support/concurrency.h"
#include "support/migrated_database.h"
#include "support/postgres.h"
#include "support/process.h"

namespace mercato::payment {
namespace {

using mercato::testing::MigratedDatabase;
using mercato::testing::PostgresServer;
using mercato::testing::RunConcurrently;

constexpr char kDatabase[] = "payment_store_test";
const std::string kFingerprintKey(40, 'f');
constexpr int kPoolSize = 16;

v1::AuthorizeRequest Request(const std::string& key, const std::string& number,
                             int64_t amount = 1999) {
  v1::AuthorizeRequest r;
  r.set_idempotency_key(key);
  r.mutable_amount()->set_amount(amount);
  r.mutable_amount()->set_currency("USD");
  r.mutable_card()->set_number(number);
  r.mutable_card()->set_exp_month(12);
  r.mutable_card()->set_exp_year(2030);
  r.mutable_card()->set_cvc("123");
  r.set_order_id(absl::StrCat("order-", key));
  return r;
}

class PaymentStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = MigratedDatabase(kDatabase, {.size = kPoolSize}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_EQ(db->applied, static_cast<int>(Migrations().size()));
    pool_ = db->pool.release();
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
  }

  // Opens every pooled connection, so that concurrent calls start together instead of
  // queueing behind connection set-up.
  static void WarmPool() {
    RunConcurrently(kPoolSize, [](int) {
      ASSERT_TRUE(pool_
                      ->Transact([](pqxx::work& tx) -> absl::Status {
                        tx.exec("SELECT pg_sleep(0.05)");
                        return absl::OkStatus();
                      })
                      .ok());
    });
  }

  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }
  static int Count(const std::string& sql) { return std::stoi(Sql(sql)); }

  NewPayment MakeNew(const std::string& key, int64_t amount = 1999) {
    NewPayment p;
    p.id = NewUuid();
    p.idempotency_key = key;
    p.fingerprint = PaymentFingerprint(kFingerprintKey, kSandboxApprovedCard, amount, "USD");
    p.amount = amount;
    p.currency = "USD";
    p.card_brand = "visa";
    p.card_last4 = "4242";
    p.order_id = "order-1";
    return p;
  }
  static ChargeOutcome Approved() {
    return {.state = v1::PAYMENT_STATE_AUTHORIZED, .processor_reference = "sbx_test"};
  }

  absl::StatusOr<v1::Payment> Authorize(const v1::AuthorizeRequest& r) {
    v1::Payment p;
    absl::Status s = service_.DoAuthorize(r, &p);
    if (!s.ok()) return s;
    return p;
  }

  static PgPool* pool_;
  PostgresPaymentStore store_{*pool_};
  SandboxCardProcessor processor_;
  BoundedExecutor executor_{"payment-test", 1, 1};
  prometheus::Registry registry_;
  PaymentMetrics metrics_{registry_};
  PaymentService service_{store_, processor_, executor_, metrics_,
                          PaymentServiceOptions{.fingerprint_key = kFingerprintKey}};
};

PgPool* PaymentStoreTest::pool_ = nullptr;

TEST_F(PaymentStoreTest, MigrationsAreAppliedOnce) {
  auto again = ApplyMigrations(*pool_, Migrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
}

TEST_F(PaymentStoreTest, FiftyConcurrentBeginsWithOneKeyMakeOnePendingRow) {
  WarmPool();
  std::vector<absl::StatusOr<AuthorizeResult>> results(50);
  RunConcurrently(
      50, [&](int i) { results[i] = store_.BeginAuthorization(MakeNew("store-concurrent")); });
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    ids.insert(r->record.payment.id());
    EXPECT_EQ(r->record.payment.state(), v1::PAYMENT_STATE_PENDING);
    created += r->created ? 1 : 0;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'store-concurrent'"), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM payment_events WHERE payment_id = '",
                               *ids.begin(), "'")),
            1);
}

TEST_F(PaymentStoreTest, RecordOutcomeMovesOnlyAPendingPayment) {
  auto begun = store_.BeginAuthorization(MakeNew("outcome"));
  ASSERT_TRUE(begun.ok()) << begun.status();
  const std::string id = begun->record.payment.id();
  EXPECT_EQ(Sql(absl::StrCat("SELECT state || '|' || processor_reference FROM payments WHERE id "
                             "= '",
                             id, "'")),
            "pending|");
  int asked = 0;
  auto recorded = store_.RecordOutcome(id, "outcome", [&] {
    ++asked;
    return absl::StatusOr<ChargeOutcome>(Approved());
  });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->changed);
  EXPECT_EQ(recorded->record.payment.state(), v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(recorded->record.processor_reference, "sbx_test");
  // A repeat finds the answer and does not ask again.
  auto again = store_.RecordOutcome(id, "outcome", [&] {
    ++asked;
    return absl::StatusOr<ChargeOutcome>(
        ChargeOutcome{.state = v1::PAYMENT_STATE_DECLINED, .decline_code = "card_declined"});
  });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->record.payment.state(), v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(asked, 1);
  // An error while asking changes nothing.
  auto failing = store_.BeginAuthorization(MakeNew("outcome-fails"));
  EXPECT_EQ(
      store_
          .RecordOutcome(failing->record.payment.id(), failing->record.payment.idempotency_key(),
                         [] {
                           return absl::StatusOr<ChargeOutcome>(
                               absl::UnavailableError("processor down"));
                         })
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.Get(failing->record.payment.id())->payment.state(), v1::PAYMENT_STATE_PENDING);
  // Nor does an answer after a void: the caller learns the payment is voided.
  auto voided_first = store_.BeginAuthorization(MakeNew("outcome-voided"));
  ASSERT_TRUE(store_
                  .Transition(voided_first->record.payment.id(), v1::PAYMENT_STATE_PENDING,
                              v1::PAYMENT_STATE_VOIDED,
                              [](const PaymentRecord&) { return absl::OkStatus(); })
                  ->changed);
  auto late = store_.RecordOutcome(voided_first->record.payment.id(),
                                   voided_first->record.payment.idempotency_key(),
                                   [] { return absl::StatusOr<ChargeOutcome>(Approved()); });
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->changed);
  EXPECT_EQ(late->record.payment.state(), v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(store_
                .RecordOutcome(NewUuid(), "outcome",
                               [] { return absl::StatusOr<ChargeOutcome>(Approved()); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  // A payment is answered only under its own key's lock: another key finds nothing and asks
  // nothing.
  auto other_key = store_.BeginAuthorization(MakeNew("outcome-other-key"));
  EXPECT_EQ(store_
                .RecordOutcome(other_key->record.payment.id(), "outcome",
                               [&] {
                                 ++asked;
                                 return absl::StatusOr<ChargeOutcome>(Approved());
                               })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(store_.Get(other_key->record.payment.id())->payment.state(), v1::PAYMENT_STATE_PENDING);
}

TEST_F(PaymentStoreTest, OpenPaymentsAreListedByAgeOldestFirst) {
  auto old_pending = store_.BeginAuthorization(MakeNew("open-old-pending"));
  auto old_authorized = store_.BeginAuthorization(MakeNew("open-old-authorized"));
  auto young = store_.BeginAuthorization(MakeNew("open-young"));
  auto declined = store_.BeginAuthorization(MakeNew("open-declined"));
  ASSERT_TRUE(store_
                  .RecordOutcome(old_authorized->record.payment.id(),
                                 old_authorized->record.payment.idempotency_key(),
                                 [] { return absl::StatusOr<ChargeOutcome>(Approved()); })
                  .ok());
  ASSERT_TRUE(store_
                  .RecordOutcome(
                      declined->record.payment.id(), declined->record.payment.idempotency_key(),
                      [] {
                        return absl::StatusOr<ChargeOutcome>(ChargeOutcome{
                            .state = v1::PAYMENT_STATE_DECLINED, .decline_code = "card_declined"});
                      })
                  .ok());
  Sql("UPDATE payments SET created_at = now() - interval '1 hour' WHERE idempotency_key IN "
      "('open-old-pending', 'open-declined')");
  Sql("UPDATE payments SET created_at = now() - interval '30 minutes' WHERE idempotency_key = "
      "'open-old-authorized'");
  auto open = store_.ListOpenOlderThan(absl::Minutes(10), 100);
  ASSERT_TRUE(open.ok()) << open.status();
  std::vector<std::string> ids;
  for (const auto& p : *open) ids.push_back(p.id);
  auto pos = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id); };
  ASSERT_NE(pos(old_pending->record.payment.id()), ids.end());
  ASSERT_NE(pos(old_authorized->record.payment.id()), ids.end());
  EXPECT_LT(pos(old_pending->record.payment.id()), pos(old_authorized->record.payment.id()));
  EXPECT_EQ(pos(young->record.payment.id()), ids.end());
  EXPECT_EQ(pos(declined->record.payment.id()), ids.end());
  EXPECT_EQ(store_.ListOpenOlderThan(absl::Minutes(10), 1)->size(), 1u);
}

TEST_F(PaymentStoreTest, FiftyConcurrentServiceAuthorizationsWithOneKey) {
  WarmPool();
  std::vector<absl::StatusOr<v1::Payment>> results(50);
  RunConcurrently(50, [&](int i) {
    results[i] = Authorize(Request("service-concurrent", kSandboxApprovedCard));
  });
  std::set<std::string> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->state(), v1::PAYMENT_STATE_AUTHORIZED);
    ids.insert(r->id());
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'service-concurrent'"), 1);
}

TEST_F(PaymentStoreTest, ConcurrentCallsWithOneKeyAndTwoAmounts) {
  // Whichever amount wins, the calls with the other amount are refused, none charges twice.
  WarmPool();
  std::vector<absl::StatusOr<v1::Payment>> results(40);
  RunConcurrently(40, [&](int i) {
    results[i] = Authorize(Request("two-amounts", kSandboxApprovedCard, i % 2 ? 1000 : 2000));
  });
  std::map<int64_t, int> ok_by_amount;
  int reused = 0;
  std::set<std::string> ids;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok_by_amount[r->amount().amount()];
      ids.insert(r->id());
    } else {
      EXPECT_EQ(ErrorCodeOf(r.status()), "idempotency_key_reused") << r.status();
      ++reused;
    }
  }
  ASSERT_EQ(ok_by_amount.size(), 1u);
  EXPECT_EQ(ok_by_amount.begin()->second, 20);
  EXPECT_EQ(reused, 20);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'two-amounts'"), 1);
}

TEST_F(PaymentStoreTest, ConcurrentCaptureAndVoidOnlyOneWins) {
  auto p = Authorize(Request("capture-vs-void", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  std::vector<absl::Status> statuses(40);
  std::vector<v1::Payment> payments(40);
  RunConcurrently(40, [&](int i) {
    if (i % 2 == 0) {
      v1::CaptureRequest r;
      r.set_payment_id(p->id());
      statuses[i] = service_.DoCapture(r, &payments[i]);
    } else {
      v1::VoidRequest r;
      r.set_payment_id(p->id());
      statuses[i] = service_.DoVoid(r, &payments[i]);
    }
  });
  const std::string final_state =
      Sql(absl::StrCat("SELECT state FROM payments WHERE id = '", p->id(), "'"));
  ASSERT_TRUE(final_state == "captured" || final_state == "voided") << final_state;
  const int winners_parity = final_state == "captured" ? 0 : 1;
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == winners_parity) {
      ASSERT_TRUE(statuses[i].ok()) << statuses[i];
      EXPECT_EQ(StateName(payments[i].state()), final_state);
    } else {
      EXPECT_EQ(statuses[i].code(), absl::StatusCode::kFailedPrecondition) << statuses[i];
      EXPECT_EQ(ErrorCodeOf(statuses[i]), "invalid_transition");
    }
  }
  // The authorization's two events and exactly one move.
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, "
                             "',' ORDER BY id) FROM payment_events WHERE payment_id = '",
                             p->id(), "'")),
            absl::StrCat("->pending,pending>authorized,authorized>", final_state));
}

TEST_F(PaymentStoreTest, ConcurrentWholeRefundsRefundOnce) {
  auto p = Authorize(Request("refund-race", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  auto captured =
      store_.Transition(p->id(), v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
                        [](const PaymentRecord&) { return absl::OkStatus(); });
  ASSERT_TRUE(captured.ok() && captured->changed);
  WarmPool();
  std::atomic<int> acts{0};
  std::vector<absl::StatusOr<RefundResult>> results(30);
  RunConcurrently(30, [&](int i) {
    results[i] = store_.Refund({.payment_id = p->id(), .idempotency_key = "full"},
                               [&](const PaymentRecord& r, int64_t amount) {
                                 ++acts;
                                 EXPECT_EQ(r.payment.state(), v1::PAYMENT_STATE_CAPTURED);
                                 EXPECT_EQ(amount, 1999);
                                 return absl::OkStatus();
                               });
  });
  int refunded = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->record.payment.state(), v1::PAYMENT_STATE_REFUNDED);
    EXPECT_EQ(r->record.payment.refunded_amount().amount(), 1999);
    refunded += r->amount > 0 ? 1 : 0;
  }
  EXPECT_EQ(refunded, 1);
  EXPECT_EQ(acts.load(), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM payment_events WHERE payment_id = '", p->id(),
                               "' AND to_state = 'refunded'")),
            1);
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(idempotency_key || ':' || amount, ',') FROM "
                             "refunds WHERE payment_id = '",
                             p->id(), "'")),
            "full:1999");
}

TEST_F(PaymentStoreTest, FailedActRollsTheMoveBack) {
  auto p = Authorize(Request("act-fails", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  auto moved = store_.Transition(
      p->id(), v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
      [](const PaymentRecord&) { return absl::UnavailableError("processor down"); });
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Sql(absl::StrCat("SELECT state FROM payments WHERE id = '", p->id(), "'")),
            "authorized");
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM payment_events WHERE payment_id = '", p->id(), "'")),
      2);  // pending, authorized
}

TEST_F(PaymentStoreTest, TheDatabaseRefusesIllegalMovesWhateverTheCode) {
  auto declined = Authorize(Request("db-guard-declined", kSandboxDeclinedCard));
  auto authorized = Authorize(Request("db-guard-authorized", kSandboxApprovedCard));
  ASSERT_TRUE(declined.ok() && authorized.ok());
  auto exec = [&](const std::string& sql) {
    return pool_->Transact([&](pqxx::work& tx) -> absl::Status {
      tx.exec(sql);
      return absl::OkStatus();
    });
  };
  auto pending = store_.BeginAuthorization(MakeNew("db-guard-pending"));
  ASSERT_TRUE(pending.ok());
  for (const char* to : {"captured", "refunded"}) {
    EXPECT_EQ(exec(absl::StrCat("UPDATE payments SET state = '", to, "' WHERE id = '",
                                pending->record.payment.id(), "'"))
                  .code(),
              absl::StatusCode::kFailedPrecondition)
        << "pending -> " << to;
  }
  EXPECT_TRUE(exec(absl::StrCat("UPDATE payments SET state = 'voided' WHERE id = '",
                                pending->record.payment.id(), "'"))
                  .ok());
  for (const char* to : {"pending", "authorized", "captured", "refunded", "voided"}) {
    absl::Status s = exec(absl::StrCat("UPDATE payments SET state = '", to,
                                       "', decline_code = '' WHERE id = '", declined->id(), "'"));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << to << ": " << s;
  }
  EXPECT_EQ(exec(absl::StrCat("UPDATE payments SET state = 'refunded' WHERE id = '",
                              authorized->id(), "'"))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      exec(absl::StrCat("INSERT INTO payments (id, idempotency_key, fingerprint, state, amount, "
                        "currency, card_brand, card_last4) VALUES ('",
                        NewUuid(), "', 'db-guard-insert', '", std::string(64, 'a'),
                        "', 'captured', 1, 'USD', 'visa', '4242')"))
          .code(),
      absl::StatusCode::kFailedPrecondition);
  // A second row with a used key is refused by the unique constraint.
  EXPECT_EQ(
      exec(absl::StrCat("INSERT INTO payments (id, idempotency_key, fingerprint, state, amount, "
                        "currency, card_brand, card_last4) VALUES ('",
                        NewUuid(), "', 'db-guard-authorized', '", std::string(64, 'a'),
                        "', 'authorized', 1, 'USD', 'visa', '4242')"))
          .code(),
      absl::StatusCode::kAlreadyExists);
  // The legal move is allowed.
  EXPECT_TRUE(
      exec(absl::StrCat("UPDATE payments SET state = 'voided' WHERE id = '", authorized->id(), "'"))
          .ok());
}

TEST_F(PaymentStoreTest, HistoryRecordsEveryStateWithTimestamps) {
  const absl::Time before = absl::Now() - absl::Seconds(1);
  auto p = Authorize(Request("history", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  v1::Payment out;
  v1::CaptureRequest capture;
  capture.set_payment_id(p->id());
  ASSERT_TRUE(service_.DoCapture(capture, &out).ok());
  ASSERT_TRUE(service_.DoCapture(capture, &out).ok());  // repeat: no new event
  v1::RefundRequest refund;
  refund.set_payment_id(p->id());
  ASSERT_TRUE(service_.DoRefund(refund, &out).ok());
  const absl::Time after = absl::Now() + absl::Seconds(1);

  auto events = store_.ListEvents(p->id());
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].from, std::nullopt);
  EXPECT_EQ((*events)[0].to, v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ((*events)[1].from, v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ((*events)[1].to, v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ((*events)[2].from, v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ((*events)[2].to, v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ((*events)[3].from, v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ((*events)[3].to, v1::PAYMENT_STATE_REFUNDED);
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_GE((*events)[i].at, before);
    EXPECT_LE((*events)[i].at, after);
    if (i > 0) {
      EXPECT_GE((*events)[i].at, (*events)[i - 1].at);
    }
  }

  auto declined = Authorize(Request("history-declined", kSandboxInsufficientFundsCard));
  ASSERT_TRUE(declined.ok());
  auto declined_events = store_.ListEvents(declined->id());
  ASSERT_TRUE(declined_events.ok());
  ASSERT_EQ(declined_events->size(), 2u);
  EXPECT_EQ((*declined_events)[1].to, v1::PAYMENT_STATE_DECLINED);
  EXPECT_EQ((*declined_events)[1].decline_code, "insufficient_funds");
}

TEST_F(PaymentStoreTest, LookupsAndNotFound) {
  auto p = Authorize(Request("lookup", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  auto by_id = store_.Get(p->id());
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->payment.SerializeAsString(), p->SerializeAsString());
  EXPECT_EQ(by_id->fingerprint,
            PaymentFingerprint(kFingerprintKey, kSandboxApprovedCard, 1999, "USD"));
  EXPECT_TRUE(absl::StartsWith(by_id->processor_reference, "sbx_"));
  auto by_key = store_.GetByIdempotencyKey("lookup");
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(by_key->payment.id(), p->id());

  for (const std::string& id : {NewUuid(), std::string("not-a-uuid"), std::string("")}) {
    auto missing = store_.Get(id);
    EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << id;
    EXPECT_EQ(ErrorCodeOf(missing.status()), "payment_not_found");
    auto move = store_.Transition(id, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
                                  [](const PaymentRecord&) { return absl::OkStatus(); });
    EXPECT_EQ(move.status().code(), absl::StatusCode::kNotFound) << id;
  }
  EXPECT_EQ(store_.GetByIdempotencyKey("no-such-key").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PaymentStoreTest, NoCardNumberInAnyRow) {
  const std::vector<std::string> numbers = {
      kSandboxApprovedCard, kSandboxDeclinedCard, kSandboxInsufficientFundsCard,
      "5555555555554444",   "378282246310005",    "6011111111111117"};
  int n = 0;
  for (const auto& number : numbers) {
    auto r = Request(absl::StrCat("pan-scan-", n++), number);
    auto p = Authorize(r);
    ASSERT_TRUE(p.ok()) << p.status();
    if (p->state() == v1::PAYMENT_STATE_AUTHORIZED) {
      v1::Payment out;
      v1::CaptureRequest capture;
      capture.set_payment_id(p->id());
      ASSERT_TRUE(service_.DoCapture(capture, &out).ok());
    }
  }
  // Every text-like column of every table, as text.
  const std::string columns =
      Sql("SELECT string_agg(format('SELECT %I::text FROM %I', column_name, table_name), ' UNION "
          "ALL ') FROM information_schema.columns WHERE table_schema = 'public'");
  const std::string values =
      Sql(absl::StrCat("SELECT string_agg(v, '|') FROM (", columns, ") AS all_values(v)"));
  ASSERT_NE(values.find("pan-scan-0"), std::string::npos);  // the scan does see the data
  // And the whole database as pg_dump writes it.
  auto bindir = mercato::testing::FindPostgresBinDir();
  ASSERT_TRUE(bindir.ok());
  std::string dump;
  ASSERT_EQ(
      mercato::testing::RunCommand(absl::StrCat(*bindir, "/pg_dump --data-only --no-owner '",
                                                PostgresServer::Shared()->Url(kDatabase), "'"),
                                   &dump),
      0)
      << dump;
  ASSERT_NE(dump.find("pan-scan-0"), std::string::npos);
  for (const auto& number : numbers) {
    EXPECT_EQ(values.find(number), std::string::npos) << number;
    EXPECT_EQ(dump.find(number), std::string::npos) << number;
    // Not even the first twelve digits (only the last four are kept).
    EXPECT_EQ(dump.find(number.substr(0, 12)), std::string::npos) << number;
  }
  // No column that could hold a number or CVC (a CVC is too short to scan the dump for).
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                  "'public' AND (column_name ~ '(cvc|cvv|pan|card_number|number)')"),
            0);
}

// ---- the sandbox processor's ledger and the sweeper (issue 15, defect 11) ----

class PaymentLedgerTest : public PaymentStoreTest {
 protected:
  std::string Ledger(const std::string& key) {
    return Sql(
        absl::StrCat("SELECT coalesce((SELECT state FROM sandbox_authorizations WHERE "
                     "idempotency_key = '",
                     key, "'), 'none')"));
  }
  SandboxCardProcessor ledger_processor_{pool_};
  PaymentService ledger_service_{store_, ledger_processor_, executor_, metrics_,
                                 PaymentServiceOptions{.fingerprint_key = kFingerprintKey}};
};

TEST_F(PaymentLedgerTest, TheProcessorKeepsOneAuthorizationPerKeyAndEveryMove) {
  v1::Payment p;
  ASSERT_TRUE(ledger_service_.DoAuthorize(Request("ledger-1", kSandboxApprovedCard), &p).ok());
  EXPECT_EQ(Ledger("ledger-1"), "authorized");
  EXPECT_EQ(Sql("SELECT reference FROM sandbox_authorizations WHERE idempotency_key = "
                "'ledger-1'"),
            SandboxCardProcessor::ReferenceFor("ledger-1"));
  v1::CaptureRequest capture;
  capture.set_payment_id(p.id());
  ASSERT_TRUE(ledger_service_.DoCapture(capture, &p).ok());
  EXPECT_EQ(Ledger("ledger-1"), "captured");
  ASSERT_TRUE(ledger_service_.DoAuthorize(Request("ledger-2", kSandboxDeclinedCard), &p).ok());
  EXPECT_EQ(Ledger("ledger-2"), "declined");
  // Asking again with a key gives the same authorization.
  ValidatedCard card{.number = kSandboxApprovedCard, .brand = "visa", .last4 = "4242"};
  auto repeat = ledger_processor_.Authorize(
      {.card = card, .amount = 1999, .currency = "USD", .idempotency_key = "ledger-1"});
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ(repeat->reference, SandboxCardProcessor::ReferenceFor("ledger-1"));
  EXPECT_EQ(Count("SELECT count(*) FROM sandbox_authorizations WHERE idempotency_key = "
                  "'ledger-1'"),
            1);
  EXPECT_EQ(Ledger("ledger-1"), "captured");
}

TEST_F(PaymentLedgerTest, TheSweeperVoidsWhatACrashLeftAtEveryStep) {
  ValidatedCard card{.number = kSandboxApprovedCard, .brand = "visa", .last4 = "4242"};
  // Dead after recording the payment, before asking the processor.
  ASSERT_TRUE(store_.BeginAuthorization(MakeNew("crash-after-pending"))->created);
  // Dead after the processor authorized, before recording its answer.
  ASSERT_TRUE(store_.BeginAuthorization(MakeNew("crash-after-processor"))->created);
  ASSERT_TRUE(ledger_processor_
                  .Authorize({.card = card,
                              .amount = 1999,
                              .currency = "USD",
                              .idempotency_key = "crash-after-processor"})
                  .ok());
  // Dead after recording the answer, before checkout captured (or learned of it).
  v1::Payment recorded;
  ASSERT_TRUE(
      ledger_service_.DoAuthorize(Request("crash-after-record", kSandboxApprovedCard), &recorded)
          .ok());
  EXPECT_EQ(Ledger("crash-after-processor"), "authorized");
  EXPECT_EQ(Ledger("crash-after-record"), "authorized");

  AuthorizationSweeper sweeper(ledger_service_, {.max_age = absl::Minutes(10)});
  EXPECT_EQ(*sweeper.SweepOnce(), 0);  // not old enough yet
  Sql("UPDATE payments SET created_at = now() - interval '11 minutes' WHERE idempotency_key "
      "LIKE 'crash-after-%'");
  EXPECT_EQ(*sweeper.SweepOnce(), 3);
  for (const char* key : {"crash-after-pending", "crash-after-processor", "crash-after-record"}) {
    EXPECT_EQ(Sql(absl::StrCat("SELECT state FROM payments WHERE idempotency_key = '", key, "'")),
              "voided")
        << key;
  }
  EXPECT_EQ(Ledger("crash-after-pending"), "none");
  EXPECT_EQ(Ledger("crash-after-processor"), "voided");
  EXPECT_EQ(Ledger("crash-after-record"), "voided");
  EXPECT_EQ(*sweeper.SweepOnce(), 0);
}

TEST_F(PaymentLedgerTest, AMoveTheProcessorMadeButWeDidNotRecordIsRecordedNotRetriedForever) {
  // The process died between the processor's capture and the commit of ours: the ledger
  // says captured, the row authorized. Voiding it records the capture instead of failing on
  // every recovery pass.
  v1::Payment p;
  ASSERT_TRUE(ledger_service_.DoAuthorize(Request("lost-capture", kSandboxApprovedCard), &p).ok());
  Sql("UPDATE sandbox_authorizations SET state = 'captured' WHERE idempotency_key = "
      "'lost-capture'");
  v1::VoidRequest void_request;
  void_request.set_payment_id(p.id());
  v1::Payment out;
  const absl::Status voided = ledger_service_.DoVoid(void_request, &out);
  EXPECT_EQ(ErrorCodeOf(voided), "invalid_transition") << voided;
  EXPECT_EQ(Sql(absl::StrCat("SELECT state FROM payments WHERE id = '", p.id(), "'")), "captured");
  // And the mirror: a void the processor made whose record was lost, met by a capture.
  ASSERT_TRUE(ledger_service_.DoAuthorize(Request("lost-void", kSandboxApprovedCard), &p).ok());
  Sql("UPDATE sandbox_authorizations SET state = 'voided' WHERE idempotency_key = 'lost-void'");
  v1::CaptureRequest capture;
  capture.set_payment_id(p.id());
  const absl::Status captured = ledger_service_.DoCapture(capture, &out);
  EXPECT_EQ(ErrorCodeOf(captured), "invalid_transition") << captured;
  EXPECT_EQ(Sql(absl::StrCat("SELECT state FROM payments WHERE id = '", p.id(), "'")), "voided");
}

// The ledger processor, except that before authorizing it lets a test act (e.g. void the
// payment being authorized, as the sweeper or checkout could at that moment).
class InterruptedProcessor final : public CardProcessor {
 public:
  explicit InterruptedProcessor(PgPool* ledger) : sandbox_(ledger) {}
  std::function<void(const std::string& key)> before_authorize;
  absl::StatusOr<AuthorizationResult> Authorize(const AuthorizationRequest& r) override {
    if (before_authorize) before_authorize(r.idempotency_key);
    return sandbox_.Authorize(r);
  }
  absl::Status Capture(const std::string& ref, int64_t amount) override {
    return sandbox_.Capture(ref, amount);
  }
  absl::Status Void(const std::string& ref) override { return sandbox_.Void(ref); }
  absl::Status Refund(const std::string& ref, int64_t amount, const std::string& key) override {
    return sandbox_.Refund(ref, amount, key);
  }
  absl::Status VoidByKey(const std::string& key) override { return sandbox_.VoidByKey(key); }

 private:
  SandboxCardProcessor sandbox_;
};

TEST_F(PaymentLedgerTest, AnAnswerArrivingAfterAVoidIsVoidedAtTheProcessorToo) {
  // A pending payment is voided while its processor call is under way (before the processor
  // made the authorization, so the void by key found nothing): the answer that comes back
  // must not leave the authorization behind.
  InterruptedProcessor processor(pool_);
  PaymentService service(store_, processor, executor_, metrics_,
                         PaymentServiceOptions{.fingerprint_key = kFingerprintKey});
  processor.before_authorize = [&](const std::string& key) {
    v1::VoidRequest request;
    request.set_payment_id(store_.GetByIdempotencyKey(key)->payment.id());
    v1::Payment voided;
    ASSERT_TRUE(service.DoVoid(request, &voided).ok());
    ASSERT_EQ(voided.state(), v1::PAYMENT_STATE_VOIDED);
  };
  v1::Payment out;
  ASSERT_TRUE(service.DoAuthorize(Request("late-answer", kSandboxApprovedCard), &out).ok());
  EXPECT_EQ(out.state(), v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(Ledger("late-answer"), "voided");
}

TEST_F(PaymentStoreTest, MovesAppendTheirEventsAndAFailedActAppendsNone) {
  const auto events_of = [&](const std::string& id) {
    return Sql(
        "SELECT coalesce(string_agg(event_type, ',' ORDER BY id), '') FROM outbox "
        "WHERE aggregate_id = '" +
        id + "'");
  };
  const auto ok = [](const PaymentRecord&) { return absl::OkStatus(); };
  auto begun = store_.BeginAuthorization(MakeNew("events-captured"));
  ASSERT_TRUE(begun.ok()) << begun.status();
  const std::string id = begun->record.payment.id();
  EXPECT_EQ(events_of(id), "");  // pending: nothing yet
  ASSERT_TRUE(store_
                  .RecordOutcome(id, "events-captured",
                                 [] { return absl::StatusOr<ChargeOutcome>(Approved()); })
                  ->changed);
  // The capture fails at the processor: the move and its event roll back together.
  EXPECT_FALSE(store_
                   .Transition(id, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED,
                               [](const PaymentRecord&) { return absl::UnavailableError("down"); })
                   .ok());
  ASSERT_TRUE(
      store_.Transition(id, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED, ok)->changed);
  // Not in the source state any more: no move, no event.
  EXPECT_FALSE(
      store_.Transition(id, v1::PAYMENT_STATE_AUTHORIZED, v1::PAYMENT_STATE_CAPTURED, ok)->changed);
  EXPECT_EQ(events_of(id), "mercato.events.v1.PaymentAuthorized,mercato.events.v1.PaymentCaptured");

  auto declined = store_.BeginAuthorization(MakeNew("events-declined"));
  ASSERT_TRUE(store_
                  .RecordOutcome(
                      declined->record.payment.id(), declined->record.payment.idempotency_key(),
                      [] {
                        return absl::StatusOr<ChargeOutcome>(ChargeOutcome{
                            .state = v1::PAYMENT_STATE_DECLINED, .decline_code = "card_declined"});
                      })
                  ->changed);
  EXPECT_EQ(events_of(declined->record.payment.id()), "");

  auto voided = store_.BeginAuthorization(MakeNew("events-voided"));
  const std::string voided_id = voided->record.payment.id();
  ASSERT_TRUE(store_.Transition(voided_id, v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_VOIDED, ok)
                  ->changed);
  EXPECT_EQ(events_of(voided_id), "mercato.events.v1.PaymentVoided");
}

// Partial refunds through the service, with the sandbox processor's ledger.
class PaymentRefundTest : public PaymentLedgerTest {
 protected:
  // An authorized and captured payment of `amount` EUR cents.
  v1::Payment CapturedPayment(const std::string& key, int64_t amount) {
    v1::AuthorizeRequest request = Request(key, kSandboxApprovedCard, amount);
    request.mutable_amount()->set_currency("EUR");
    v1::Payment p;
    EXPECT_TRUE(ledger_service_.DoAuthorize(request, &p).ok());
    v1::CaptureRequest capture;
    capture.set_payment_id(p.id());
    EXPECT_TRUE(ledger_service_.DoCapture(capture, &p).ok());
    EXPECT_EQ(p.state(), v1::PAYMENT_STATE_CAPTURED);
    return p;
  }
  absl::StatusOr<v1::Payment> Refund(const std::string& id, const std::string& key,
                                     std::optional<int64_t> amount) {
    v1::RefundRequest r;
    r.set_payment_id(id);
    r.set_idempotency_key(key);
    if (amount) {
      r.mutable_amount()->set_amount(*amount);
      r.mutable_amount()->set_currency("EUR");
    }
    v1::Payment p;
    absl::Status s = ledger_service_.DoRefund(r, &p);
    if (!s.ok()) return s;
    return p;
  }
  std::string Refunds(const std::string& id) {
    return Sql(absl::StrCat(
        "SELECT coalesce(string_agg(idempotency_key || ':' || amount, ',' ORDER BY id), '') "
        "FROM refunds WHERE payment_id = '",
        id, "'"));
  }
  std::string Row(const std::string& id) {
    return Sql(
        absl::StrCat("SELECT state || '|' || refunded_amount FROM payments WHERE id = '", id, "'"));
  }
  std::string LedgerRow(const std::string& key) {
    return Sql(absl::StrCat(
        "SELECT a.state || '|' || a.refunded || '|' || (SELECT coalesce(sum(r.amount), 0) FROM "
        "sandbox_refunds r WHERE r.reference = a.reference) FROM sandbox_authorizations a "
        "WHERE idempotency_key = '",
        key, "'"));
  }
};

TEST_F(PaymentRefundTest, ConcurrentPartialRefundsBeyondTheCaptureAddUpExactly) {
  // 12 refunds of 300 race for a capture of 2500: exactly 8 fit (2400), 4 are refused, and
  // every sum (payment, refunds, outbox, processor) agrees.
  const v1::Payment p = CapturedPayment("refund-partial-race", 2500);
  WarmPool();
  std::vector<absl::StatusOr<v1::Payment>> results(12);
  RunConcurrently(12, [&](int i) { results[i] = Refund(p.id(), absl::StrCat("part-", i), 300); });
  int ok = 0, refused = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
      EXPECT_EQ(r->refunded_amount().amount() % 300, 0);
      EXPECT_EQ(r->state(), v1::PAYMENT_STATE_PARTIALLY_REFUNDED);
    } else {
      ++refused;
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
      EXPECT_EQ(ErrorCodeOf(r.status()), "refund_exceeds_capture") << r.status();
    }
  }
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(refused, 4);
  EXPECT_EQ(Row(p.id()), "partially_refunded|2400");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM refunds WHERE payment_id = '", p.id(), "'")),
            8);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT sum(amount) FROM refunds WHERE payment_id = '", p.id(), "'")),
      2400);
  EXPECT_EQ(LedgerRow("refund-partial-race"), "partially_refunded|2400|2400");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE aggregate_id = '", p.id(),
                               "' AND event_type = 'mercato.events.v1.PaymentRefunded'")),
            8);
  // The rest, with no amount, makes it whole.
  auto rest = Refund(p.id(), "", std::nullopt);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->state(), v1::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(rest->refunded_amount().amount(), 2500);
  EXPECT_EQ(Row(p.id()), "refunded|2500");
  EXPECT_EQ(LedgerRow("refund-partial-race"), "refunded|2500|2500");
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, "
                             "',' ORDER BY id) FROM payment_events WHERE payment_id = '",
                             p.id(), "'")),
            "->pending,pending>authorized,authorized>captured,captured>partially_refunded,"
            "partially_refunded>refunded");
}

TEST_F(PaymentRefundTest, ConcurrentRepeatsOfOneKeyRefundOnce) {
  const v1::Payment p = CapturedPayment("refund-repeat", 1000);
  WarmPool();
  std::vector<absl::StatusOr<v1::Payment>> results(10);
  RunConcurrently(10, [&](int i) { results[i] = Refund(p.id(), "once", 400); });
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->state(), v1::PAYMENT_STATE_PARTIALLY_REFUNDED);
    EXPECT_EQ(r->refunded_amount().amount(), 400);
    EXPECT_EQ(r->refunded_amount().currency(), "EUR");
  }
  EXPECT_EQ(Refunds(p.id()), "once:400");
  EXPECT_EQ(LedgerRow("refund-repeat"), "partially_refunded|400|400");
  // Later repeats too, with the amount or without; another amount is refused.
  auto again = Refund(p.id(), "once", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->refunded_amount().amount(), 400);
  auto reused = Refund(p.id(), "once", 500);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(reused.status()), "idempotency_key_reused");
  EXPECT_EQ(Refunds(p.id()), "once:400");
  EXPECT_EQ(Row(p.id()), "partially_refunded|400");
  // Keys are per payment: another payment may use "once" too.
  const v1::Payment other = CapturedPayment("refund-repeat-2", 1000);
  ASSERT_TRUE(Refund(other.id(), "once", 500).ok());
  EXPECT_EQ(Refunds(other.id()), "once:500");
}

TEST_F(PaymentRefundTest, ThePaymentRefundedEventCarriesTheRefundAndTheTotal) {
  const v1::Payment p = CapturedPayment("refund-event", 1000);
  ASSERT_TRUE(Refund(p.id(), "a", 250).ok());
  ASSERT_TRUE(Refund(p.id(), "", std::nullopt).ok());
  pqxx::result rows;
  ASSERT_TRUE(pool_
                  ->Transact([&](pqxx::work& tx) -> absl::Status {
                    rows = tx.exec_params(
                        "SELECT payload FROM outbox WHERE aggregate_id = $1 AND event_type = "
                        "'mercato.events.v1.PaymentRefunded' ORDER BY id",
                        p.id());
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(rows.size(), 2u);
  std::vector<std::string> seen;
  for (const auto& row : rows) {
    events::v1::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(pqxx::binarystring(row[0]).str()));
    const auto& e = envelope.payment_refunded();
    EXPECT_EQ(e.payment_id(), p.id());
    EXPECT_EQ(e.order_id(), "order-refund-event");
    EXPECT_EQ(e.amount().currency(), "EUR");
    EXPECT_EQ(e.total_refunded().currency(), "EUR");
    seen.push_back(
        absl::StrCat(e.refund_key(), ":", e.amount().amount(), "/", e.total_refunded().amount()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a:250/250", "full:750/1000"}));
}

TEST_F(PaymentRefundTest, TheDatabaseKeepsRefundsWithinTheCapture) {
  const v1::Payment p = CapturedPayment("refund-db-guard", 1000);
  auto exec = [&](const std::string& sql) {
    return pool_->Transact([&](pqxx::work& tx) -> absl::Status {
      tx.exec(sql);
      return absl::OkStatus();
    });
  };
  const std::string where = absl::StrCat(" WHERE id = '", p.id(), "'");
  for (const char* set :
       {"refunded_amount = 1001, state = 'refunded'",
        "refunded_amount = 1000, state = 'partially_refunded'", "refunded_amount = 10",
        "state = 'refunded'", "refunded_amount = 0, state = 'partially_refunded'"}) {
    EXPECT_EQ(exec(absl::StrCat("UPDATE payments SET ", set, where)).code(),
              absl::StatusCode::kFailedPrecondition)
        << set;
  }
  ASSERT_TRUE(Refund(p.id(), "a", 600).ok());
  EXPECT_EQ(exec(absl::StrCat("UPDATE payments SET refunded_amount = 500", where)).code(),
            absl::StatusCode::kFailedPrecondition);  // never shrinks
  EXPECT_EQ(exec(absl::StrCat("UPDATE payments SET state = 'captured', refunded_amount = 0", where))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(exec(absl::StrCat("INSERT INTO refunds (payment_id, idempotency_key, amount) "
                              "VALUES ('",
                              p.id(), "', 'a', 1)"))
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Row(p.id()), "partially_refunded|600");
}

TEST_F(PaymentRefundTest, RefundsOfPaymentsNotCapturedAreRefused) {
  v1::Payment authorized;
  ASSERT_TRUE(
      ledger_service_.DoAuthorize(Request("refund-uncaptured", kSandboxApprovedCard), &authorized)
          .ok());
  auto refund = Refund(authorized.id(), "a", std::nullopt);
  ASSERT_FALSE(refund.ok());
  EXPECT_EQ(refund.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(refund.status()), "payment_not_captured");
  EXPECT_EQ(Row(authorized.id()), "authorized|0");
  EXPECT_EQ(Refunds(authorized.id()), "");
  EXPECT_EQ(Ledger("refund-uncaptured"), "authorized");
  auto missing = Refund(NewUuid(), "a", 1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  auto not_uuid = Refund("not-a-uuid", "a", 1);
  EXPECT_EQ(not_uuid.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mercato::payment
