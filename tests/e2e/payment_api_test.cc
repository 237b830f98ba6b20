// Black-box: the real payment binary over gRPC with its own PostgreSQL database. The flows the
// checkout saga depends on, every sandbox card, idempotency, crash safety (kill -9 during a
// burst of authorizations), graceful SIGTERM, and no card number in the log or the database.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/postgres.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

namespace pay = mercato::payment::v1;

constexpr char kDatabase[] = "payment_e2e_payment";
constexpr char kApproved[] = "4242424242424242";
constexpr char kDeclined[] = "4000000000000002";
constexpr char kInsufficient[] = "4000000000009995";
const char* const kAllCardNumbers[] = {kApproved, kDeclined, kInsufficient, "5555555555554444",
                                       "378282246310005"};

pay::AuthorizeRequest Request(const std::string& key, const std::string& number,
                              int64_t amount = 2500) {
  pay::AuthorizeRequest r;
  r.set_idempotency_key(key);
  r.mutable_amount()->set_amount(amount);
  r.mutable_amount()->set_currency("EUR");
  r.mutable_card()->set_number(number);
  r.mutable_card()->set_exp_month(12);
  r.mutable_card()->set_exp_year(2035);
  r.mutable_card()->set_cvc("321");
  r.set_order_id("order-" + key);
  return r;
}

class PaymentApiTest : public SuiteTest<PaymentApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"payment"}, .with_dependencies = false, .database_prefix = "payment_e2e"};
  }

 protected:
  // A channel of its own (not sharing connections with other stubs) that reconnects quickly
  // after the server was killed and restarted.
  static std::unique_ptr<pay::PaymentService::Stub> Stub() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    return pay::PaymentService::NewStub(grpc::CreateCustomChannel(
        suite_->address("payment"), grpc::InsecureChannelCredentials(), args));
  }
  // A call as checkout makes it (payment's only caller).
  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
    auto ctx = CallAs("checkout", "payment");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }

  absl::StatusOr<pay::Payment> Authorize(const pay::AuthorizeRequest& r) {
    pay::Payment p;
    auto ctx = Context();
    absl::Status s = FromGrpcStatus(stub_->Authorize(ctx.get(), r, &p));
    if (!s.ok()) return s;
    return p;
  }
  absl::StatusOr<pay::Payment> Capture(const std::string& id) {
    pay::CaptureRequest r;
    r.set_payment_id(id);
    pay::Payment p;
    auto ctx = Context();
    absl::Status s = FromGrpcStatus(stub_->Capture(ctx.get(), r, &p));
    if (!s.ok()) return s;
    return p;
  }
  absl::StatusOr<pay::Payment> Void(const std::string& id) {
    pay::VoidRequest r;
    r.set_payment_id(id);
    pay::Payment p;
    auto ctx = Context();
    absl::Status s = FromGrpcStatus(stub_->Void(ctx.get(), r, &p));
    if (!s.ok()) return s;
    return p;
  }
  absl::StatusOr<pay::Payment> Refund(const std::string& id, const std::string& key = "",
                                      int64_t amount = 0) {
    pay::RefundRequest r;
    r.set_payment_id(id);
    r.set_idempotency_key(key);
    if (amount != 0) {
      r.mutable_amount()->set_amount(amount);
      r.mutable_amount()->set_currency("EUR");
    }
    pay::Payment p;
    auto ctx = Context();
    absl::Status s = FromGrpcStatus(stub_->Refund(ctx.get(), r, &p));
    if (!s.ok()) return s;
    return p;
  }
  absl::StatusOr<pay::Payment> Get(const std::string& id, const std::string& key = "") {
    pay::GetPaymentRequest r;
    r.set_id(id);
    r.set_idempotency_key(key);
    pay::Payment p;
    auto ctx = Context();
    absl::Status s = FromGrpcStatus(stub_->GetPayment(ctx.get(), r, &p));
    if (!s.ok()) return s;
    return p;
  }

  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }
  static int Count(const std::string& sql) { return std::stoi(Sql(sql)); }
  // The value of one sample on the admin /metrics page; -1 when absent.
  static double MetricValue(const std::string& sample) {
    HttpResult r = HttpClient(suite_->admin_port("payment")).Get("/metrics");
    EXPECT_EQ(r.status, 200);
    const auto at = r.body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + sample.size() + 2));
  }

  std::unique_ptr<pay::PaymentService::Stub> stub_ = Stub();
};

void ExpectError(const absl::StatusOr<pay::Payment>& p, absl::StatusCode code,
                 const std::string& error_code) {
  ASSERT_FALSE(p.ok()) << "expected " << error_code;
  EXPECT_EQ(p.status().code(), code) << p.status();
  EXPECT_EQ(ErrorCodeOf(p.status()), error_code) << p.status();
}

TEST_F(PaymentApiTest, AuthorizeCaptureRefund) {
  auto p = Authorize(Request("flow-capture", kApproved));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->state(), pay::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(p->idempotency_key(), "flow-capture");
  EXPECT_EQ(p->amount().amount(), 2500);
  EXPECT_EQ(p->amount().currency(), "EUR");
  EXPECT_EQ(p->card_brand(), "visa");
  EXPECT_EQ(p->card_last4(), "4242");
  EXPECT_EQ(p->order_id(), "order-flow-capture");
  EXPECT_GT(p->created_at_unix_ms(), 0);

  auto captured = Capture(p->id());
  ASSERT_TRUE(captured.ok()) << captured.status();
  EXPECT_EQ(captured->state(), pay::PAYMENT_STATE_CAPTURED);
  auto captured_again = Capture(p->id());
  ASSERT_TRUE(captured_again.ok()) << captured_again.status();
  EXPECT_EQ(captured_again->state(), pay::PAYMENT_STATE_CAPTURED);
  ExpectError(Void(p->id()), absl::StatusCode::kFailedPrecondition, "invalid_transition");

  auto refunded = Refund(p->id());
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->state(), pay::PAYMENT_STATE_REFUNDED);
  auto refunded_again = Refund(p->id());
  ASSERT_TRUE(refunded_again.ok()) << refunded_again.status();
  EXPECT_EQ(refunded_again->state(), pay::PAYMENT_STATE_REFUNDED);
  ExpectError(Capture(p->id()), absl::StatusCode::kFailedPrecondition, "invalid_transition");

  auto got = Get(p->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), pay::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, "
                             "',' ORDER BY id) FROM payment_events WHERE payment_id = '",
                             p->id(), "'")),
            "->pending,pending>authorized,authorized>captured,captured>refunded");
}

TEST_F(PaymentApiTest, AuthorizeVoid) {
  auto p = Authorize(Request("flow-void", kApproved));
  ASSERT_TRUE(p.ok()) << p.status();
  auto voided = Void(p->id());
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state(), pay::PAYMENT_STATE_VOIDED);
  auto voided_again = Void(p->id());
  ASSERT_TRUE(voided_again.ok()) << voided_again.status();
  EXPECT_EQ(voided_again->state(), pay::PAYMENT_STATE_VOIDED);
  ExpectError(Capture(p->id()), absl::StatusCode::kFailedPrecondition, "invalid_transition");
  ExpectError(Refund(p->id()), absl::StatusCode::kFailedPrecondition, "payment_not_captured");
  EXPECT_EQ(Sql(absl::StrCat("SELECT state FROM payments WHERE id = '", p->id(), "'")), "voided");
}

TEST_F(PaymentApiTest, RefundOfAnUncapturedPaymentIsRefused) {
  auto p = Authorize(Request("flow-refund-early", kApproved));
  ASSERT_TRUE(p.ok()) << p.status();
  auto refund = Refund(p->id());
  ExpectError(refund, absl::StatusCode::kFailedPrecondition, "payment_not_captured");
  EXPECT_EQ(refund.status().message(), "a payment in state authorized cannot be refunded");
}

TEST_F(PaymentApiTest, PartialRefundsWithIdempotencyKeys) {
  auto p = Authorize(Request("flow-partial", kApproved));  // 2500 EUR cents
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(Capture(p->id()).ok());
  auto first = Refund(p->id(), "return-1", 1000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), pay::PAYMENT_STATE_PARTIALLY_REFUNDED);
  EXPECT_EQ(first->refunded_amount().amount(), 1000);
  EXPECT_EQ(first->refunded_amount().currency(), "EUR");
  auto repeat = Refund(p->id(), "return-1", 1000);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refunded_amount().amount(), 1000);
  ExpectError(Refund(p->id(), "return-1", 999), absl::StatusCode::kFailedPrecondition,
              "idempotency_key_reused");
  ExpectError(Refund(p->id(), "return-2", 1501), absl::StatusCode::kFailedPrecondition,
              "refund_exceeds_capture");
  ExpectError(Refund(p->id(), "return-2", -1), absl::StatusCode::kInvalidArgument,
              "invalid_amount");
  // The saga's call (no key, no amount) refunds what is left, once.
  auto rest = Refund(p->id());
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->state(), pay::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(rest->refunded_amount().amount(), 2500);
  ASSERT_TRUE(Refund(p->id()).ok());
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(idempotency_key || ':' || amount, ',' ORDER BY "
                             "id) FROM refunds WHERE payment_id = '",
                             p->id(), "'")),
            "return-1:1000,full:1500");
  auto got = Get(p->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->refunded_amount().amount(), 2500);
}

TEST_F(PaymentApiTest, EverySandboxCard) {
  auto approved = Authorize(Request("card-approved", kApproved));
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->state(), pay::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(approved->decline_code(), "");

  auto declined = Authorize(Request("card-declined", kDeclined));
  ASSERT_TRUE(declined.ok()) << declined.status();
  EXPECT_EQ(declined->state(), pay::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(declined->decline_code(), "card_declined");
  EXPECT_EQ(declined->card_last4(), "0002");
  ExpectError(Capture(declined->id()), absl::StatusCode::kFailedPrecondition, "invalid_transition");
  ExpectError(Void(declined->id()), absl::StatusCode::kFailedPrecondition, "invalid_transition");

  auto insufficient = Authorize(Request("card-insufficient", kInsufficient));
  ASSERT_TRUE(insufficient.ok()) << insufficient.status();
  EXPECT_EQ(insufficient->state(), pay::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(insufficient->decline_code(), "insufficient_funds");

  auto mastercard = Authorize(Request("card-mastercard", "5555 5555 5555 4444"));
  ASSERT_TRUE(mastercard.ok()) << mastercard.status();
  EXPECT_EQ(mastercard->state(), pay::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(mastercard->card_brand(), "mastercard");
  EXPECT_EQ(mastercard->card_last4(), "4444");

  auto amex = Request("card-amex", "378282246310005");
  amex.mutable_card()->set_cvc("4321");
  auto amex_payment = Authorize(amex);
  ASSERT_TRUE(amex_payment.ok()) << amex_payment.status();
  EXPECT_EQ(amex_payment->card_brand(), "amex");

  ExpectError(Authorize(Request("card-luhn", "4242424242424241")),
              absl::StatusCode::kInvalidArgument, "invalid_card");
  auto expired = Request("card-expired", kApproved);
  expired.mutable_card()->set_exp_year(2020);
  ExpectError(Authorize(expired), absl::StatusCode::kInvalidArgument, "card_expired");
  ExpectError(Authorize(Request("card-zero", kApproved, 0)), absl::StatusCode::kInvalidArgument,
              "invalid_amount");
  auto lower_currency = Request("card-currency", kApproved);
  lower_currency.mutable_amount()->set_currency("eur");
  ExpectError(Authorize(lower_currency), absl::StatusCode::kInvalidArgument, "invalid_currency");
  ExpectError(Authorize(Request("", kApproved)), absl::StatusCode::kInvalidArgument,
              "invalid_idempotency_key");
  // Invalid requests leave nothing behind.
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key IN ('card-luhn', "
                  "'card-expired', 'card-zero', 'card-currency')"),
            0);
}

TEST_F(PaymentApiTest, SameKeyTwiceIsOnePayment) {
  auto first = Authorize(Request("same-key", kApproved));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Authorize(Request("same-key", kApproved));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->id(), first->id());
  EXPECT_EQ(second->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'same-key'"), 1);

  // A decline is replayed too, and never charged again.
  auto declined = Authorize(Request("same-key-declined", kDeclined));
  auto declined_again = Authorize(Request("same-key-declined", kDeclined));
  ASSERT_TRUE(declined.ok() && declined_again.ok());
  EXPECT_EQ(declined_again->id(), declined->id());
  EXPECT_EQ(declined_again->state(), pay::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'same-key-declined'"), 1);
}

TEST_F(PaymentApiTest, SameKeyWithAnotherAmountOrCardIsRefused) {
  ASSERT_TRUE(Authorize(Request("reused-key", kApproved, 2500)).ok());
  auto other_amount = Authorize(Request("reused-key", kApproved, 2600));
  ExpectError(other_amount, absl::StatusCode::kFailedPrecondition, "idempotency_key_reused");
  EXPECT_EQ(HttpStatusOf(other_amount.status()), 422);
  ExpectError(Authorize(Request("reused-key", "5555555555554444", 2500)),
              absl::StatusCode::kFailedPrecondition, "idempotency_key_reused");
  auto other_currency = Request("reused-key", kApproved, 2500);
  other_currency.mutable_amount()->set_currency("USD");
  ExpectError(Authorize(other_currency), absl::StatusCode::kFailedPrecondition,
              "idempotency_key_reused");
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'reused-key'"), 1);
  EXPECT_EQ(Sql("SELECT amount FROM payments WHERE idempotency_key = 'reused-key'"), "2500");
}

TEST_F(PaymentApiTest, ConcurrentAuthorizationsWithOneKeyOverGrpc) {
  std::vector<std::string> ids(30);
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      auto stub = Stub();
      pay::Payment p;
      auto ctx = Context();
      grpc::Status s = stub->Authorize(ctx.get(), Request("grpc-concurrent", kApproved), &p);
      ids[i] = s.ok() ? p.id() : "error: " + s.error_message();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key = 'grpc-concurrent'"), 1);
}

TEST_F(PaymentApiTest, GetPaymentByIdOrKey) {
  auto p = Authorize(Request("lookup", kApproved));
  ASSERT_TRUE(p.ok()) << p.status();
  auto by_id = Get(p->id());
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->SerializeAsString(), p->SerializeAsString());
  auto by_key = Get("", "lookup");
  ASSERT_TRUE(by_key.ok()) << by_key.status();
  EXPECT_EQ(by_key->id(), p->id());
  ExpectError(Get("", "no-such-key"), absl::StatusCode::kNotFound, "payment_not_found");
  ExpectError(Get("00000000-0000-4000-8000-000000000000"), absl::StatusCode::kNotFound,
              "payment_not_found");
  ExpectError(Get("not-a-uuid"), absl::StatusCode::kNotFound, "payment_not_found");
  ExpectError(Capture("00000000-0000-4000-8000-000000000000"), absl::StatusCode::kNotFound,
              "payment_not_found");
}

TEST_F(PaymentApiTest, MetricsCountOutcomesAndTransitions) {
  const std::string approved = "mercato_payment_authorizations_total{outcome=\"approved\"}";
  const std::string declined = "mercato_payment_authorizations_total{outcome=\"declined\"}";
  const std::string invalid = "mercato_payment_authorizations_total{outcome=\"invalid\"}";
  const std::string replayed = "mercato_payment_authorizations_total{outcome=\"replayed\"}";
  const std::string captures =
      "mercato_payment_transitions_total{from=\"authorized\",to=\"captured\"}";
  const double approved0 = MetricValue(approved), declined0 = MetricValue(declined),
               invalid0 = MetricValue(invalid), replayed0 = MetricValue(replayed),
               captures0 = MetricValue(captures);
  ASSERT_GE(approved0, 0);
  ASSERT_GE(captures0, 0);
  auto p = Authorize(Request("metrics-1", kApproved));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(Authorize(Request("metrics-1", kApproved)).ok());
  ASSERT_TRUE(Authorize(Request("metrics-2", kDeclined)).ok());
  ASSERT_FALSE(Authorize(Request("metrics-3", "4242424242424241")).ok());
  ASSERT_TRUE(Capture(p->id()).ok());
  ASSERT_TRUE(Capture(p->id()).ok());  // a repeat is not a transition
  EXPECT_EQ(MetricValue(approved), approved0 + 1);
  EXPECT_EQ(MetricValue(declined), declined0 + 1);
  EXPECT_EQ(MetricValue(invalid), invalid0 + 1);
  EXPECT_EQ(MetricValue(replayed), replayed0 + 1);
  EXPECT_EQ(MetricValue(captures), captures0 + 1);
}

TEST_F(PaymentApiTest, KillDuringABurstLosesNoAcknowledgedPaymentAndMakesNoDuplicate) {
  std::mutex mu;
  std::map<std::string, std::string> acknowledged;  // key -> payment id
  std::set<std::string> attempted;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> acks_this_round{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        auto stub = Stub();
        for (int i = 0; !stop.load() && i < 2000; ++i) {
          const std::string key = absl::StrCat("burst-", round, "-", t, "-", i);
          {
            std::lock_guard<std::mutex> lock(mu);
            attempted.insert(key);
          }
          pay::Payment p;
          auto ctx = Context(5);
          grpc::Status s = stub->Authorize(ctx.get(), Request(key, kApproved, 100 + i), &p);
          if (s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged[key] = p.id();
            ++acks_this_round;
          } else {
            break;  // the server is gone
          }
        }
      });
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acks_this_round.load() < 25 + 15 * round && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    suite_->Kill("payment");  // SIGKILL while calls are in flight
    stop = true;
    for (auto& c : clients) c.join();
    ASSERT_GE(acks_this_round.load(), 25 + 15 * round) << "the burst did not get going";
    ASSERT_TRUE(suite_->StartService("payment").ok());
  }
  ASSERT_GT(acknowledged.size(), 100u);
  ASSERT_GT(attempted.size(), acknowledged.size());  // some calls were cut off

  // Every acknowledged payment is there, under its key, with the acknowledged id.
  std::map<std::string, std::string> stored;
  for (const auto& line :
       absl::StrSplit(Sql("SELECT idempotency_key || '=' || id FROM payments WHERE "
                          "idempotency_key LIKE 'burst-%'"),
                      '\n')) {
    const auto eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    stored[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  for (const auto& [key, id] : acknowledged) {
    auto it = stored.find(key);
    ASSERT_NE(it, stored.end()) << "acknowledged payment lost: " << key;
    EXPECT_EQ(it->second, id) << key;
  }
  EXPECT_EQ(Count("SELECT count(*) - count(DISTINCT idempotency_key) FROM payments"), 0);
  // Each payment was recorded pending before the processor was asked, and either has the
  // processor's answer recorded or is still pending (cut off in between: a retry, a void or
  // the sweeper settles it); nothing half-written survived.
  EXPECT_EQ(Count("SELECT count(*) FROM payments p WHERE idempotency_key LIKE 'burst-%' AND "
                  "(SELECT string_agg(coalesce(e.from_state, '-') || '>' || e.to_state, ',' "
                  "ORDER BY e.id) FROM payment_events e WHERE e.payment_id = p.id) NOT IN "
                  "('->pending,pending>authorized', '->pending')"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'burst-%' AND "
                  "state NOT IN ('authorized', 'pending')"),
            0);

  // The caller's retry of every call, answered or not, finds or makes exactly one payment.
  for (const auto& key : attempted) {
    const int i = std::stoi(key.substr(key.rfind('-') + 1));
    auto p = Authorize(Request(key, kApproved, 100 + i));
    ASSERT_TRUE(p.ok()) << key << ": " << p.status();
    if (auto it = acknowledged.find(key); it != acknowledged.end()) {
      EXPECT_EQ(p->id(), it->second) << key;
    }
  }
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'burst-%'"),
            static_cast<int>(attempted.size()));
  // The retries settled every pending one.
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'burst-%' AND "
                  "state <> 'authorized'"),
            0);
}

TEST_F(PaymentApiTest, NoCardNumberInTheLogOrTheDatabase) {
  // Every sandbox card has gone through the service above; once more, with an error path.
  int n = 0;
  for (const char* number : kAllCardNumbers) {
    const std::string key = absl::StrCat("scan-", n++);
    (void)Authorize(Request(key, number));
    auto reused = Request(key, number, 1);
    ExpectError(Authorize(reused), absl::StatusCode::kFailedPrecondition, "idempotency_key_reused");
  }
  const std::string log = suite_->process("payment").ReadLog();
  ASSERT_NE(log.find("authorized"), std::string::npos) << "the log is empty?";
  auto bindir = FindPostgresBinDir();
  ASSERT_TRUE(bindir.ok());
  std::string dump;
  ASSERT_EQ(RunCommand(absl::StrCat(*bindir, "/pg_dump --no-owner '",
                                    PostgresServer::Shared()->Url(kDatabase), "'"),
                       &dump),
            0)
      << dump;
  ASSERT_NE(dump.find("scan-"), std::string::npos);
  for (const std::string number : kAllCardNumbers) {
    EXPECT_EQ(log.find(number), std::string::npos) << number;
    EXPECT_EQ(dump.find(number), std::string::npos) << number;
    // Not even the first twelve digits: only the last four are ever kept.
    EXPECT_EQ(log.find(number.substr(0, 12)), std::string::npos) << number;
    EXPECT_EQ(dump.find(number.substr(0, 12)), std::string::npos) << number;
  }
}

// Last: stops the service.
TEST_F(PaymentApiTest, SigtermDrainsAndExitsZero) {
  ASSERT_TRUE(Authorize(Request("before-sigterm", kApproved)).ok());
  const int status = suite_->Terminate("payment");
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(suite_->process("payment").ReadLog().find("received signal 15, shutting down"),
            std::string::npos);
}

}  // namespace
}  // namespace mercato::testing
