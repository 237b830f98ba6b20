// Issue 15, defect 11: payment authorizations could be left behind. The processor was called
// inside the database transaction, before the payment row existed: a crash, or a commit later
// than checkout's payment grace, left an authorization that nothing voided. Now the payment is
// committed pending first, then the processor is asked, then the answer is recorded, and a
// sweeper voids what stays pending or uncaptured too long.
//
// kill -9 at each step, with the real payment binary (built with crash points:
// common/fault_injection.h) and the sandbox processor's ledger standing for the processor's
// own books:
//   - over gRPC: after each step the restarted service's sweeper voids what was left, at the
//     processor too; a repeat with the same key gets the one authorization the processor made;
//   - through the gateway and checkout: an order whose payment process died at each step ends
//     failed, its stock released and nothing left authorized anywhere, and the next checkout
//     is paid.
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "common/fault_injection.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using std::chrono::milliseconds;
namespace pay = mercato::payment::v1;

constexpr char kCrashVar[] = "MERCATO_FAULT_CRASH_AT";
constexpr char kMaxAgeVar[] = "MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S";

struct Step {
  const char* crash_point;
  // What the dead process left: the payment row's state and the processor's.
  const char* payment_left;
  const char* processor_left;
};
const Step kSteps[] = {
    {"payment.after_pending", "pending", "none"},
    {"payment.after_processor", "pending", "authorized"},
    {"payment.after_record", "authorized", "authorized"},
};

pay::AuthorizeRequest Authorization(const std::string& key) {
  pay::AuthorizeRequest r;
  r.set_idempotency_key(key);
  r.mutable_amount()->set_amount(2500);
  r.mutable_amount()->set_currency("EUR");
  r.mutable_card()->set_number(kGoodCard);
  r.mutable_card()->set_exp_month(12);
  r.mutable_card()->set_exp_year(2035);
  r.mutable_card()->set_cvc("321");
  r.set_order_id("order-" + key);
  return r;
}

// Polls `sql` on `database` until it answers `want`; the last answer.
std::string AwaitSql(const Databases& db, const std::string& database, const std::string& sql,
                     const std::string& want, milliseconds timeout = milliseconds(20000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  while (std::chrono::steady_clock::now() < deadline) {
    got = db.Sql(database, sql);
    if (got == want) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return got;
}

// Starts `service` to crash at `point`, runs `call`, and checks the process died by SIGKILL.
void CrashAt(Suite& suite, const std::string& point, const std::function<void()>& call) {
  suite.SetEnv("payment", kCrashVar, point);
  ASSERT_TRUE(suite.StartService("payment").ok());
  call();
  const int status = suite.process("payment").Wait(std::chrono::seconds(20));
  ASSERT_TRUE(WIFSIGNALED(status)) << point << ": status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL) << point;
  suite.SetEnv("payment", kCrashVar, "");
}

class PaymentCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(FaultInjectionCompiledIn()) << "configure with -DMERCATO_FAULT_INJECTION=ON";
    auto suite = Suite::Start({.services = {"payment"},
                               .with_dependencies = false,
                               .env = {{"payment", {{kMaxAgeVar, "2"}}}},
                               .database_prefix = "payment_crash_e2e"});
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  static const Databases& db() {
    static Databases databases("payment_crash_e2e");
    return databases;
  }
  static absl::StatusOr<pay::Payment> Authorize(const std::string& key) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = pay::PaymentService::NewStub(grpc::CreateCustomChannel(
        suite_->address("payment"), grpc::InsecureChannelCredentials(), args));
    auto ctx = CallAs("checkout", "payment");
    pay::Payment out;
    absl::Status s = FromGrpcStatus(stub->Authorize(ctx.get(), Authorization(key), &out));
    if (!s.ok()) return s;
    return out;
  }
  static std::string PaymentState(const std::string& key) {
    return db().Payment("SELECT coalesce((SELECT state FROM payments WHERE idempotency_key = '" +
                        key + "'), 'none')");
  }
  static std::string ProcessorState(const std::string& key) {
    return db().Payment(
        "SELECT coalesce((SELECT state FROM sandbox_authorizations WHERE idempotency_key = '" +
        key + "'), 'none')");
  }

  static Suite* suite_;
};

Suite* PaymentCrashTest::suite_ = nullptr;

TEST_F(PaymentCrashTest, KillNineAtEachStepLeavesNothingAuthorizedOnceTheSweeperRan) {
  for (const Step& step : kSteps) {
    const std::string key = std::string("crash-") + step.crash_point + "-" + RandomHex(4);
    CrashAt(*suite_, step.crash_point, [&] {
      auto answer = Authorize(key);
      EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << step.crash_point;
    });
    EXPECT_EQ(PaymentState(key), step.payment_left) << step.crash_point;
    EXPECT_EQ(ProcessorState(key), step.processor_left) << step.crash_point;

    // Restarted, the service voids what was left once it is older than 2 s.
    ASSERT_TRUE(suite_->StartService("payment").ok());
    EXPECT_EQ(
        AwaitSql(db(), "payment",
                 "SELECT state FROM payments WHERE idempotency_key = '" + key + "'", "voided"),
        "voided")
        << step.crash_point;
    EXPECT_EQ(ProcessorState(key), step.processor_left == std::string("none") ? "none" : "voided")
        << step.crash_point;
  }
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM sandbox_authorizations WHERE state = "
                       "'authorized'"),
            0);
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM payments WHERE state IN ('pending', "
                       "'authorized')"),
            0);
}

TEST_F(PaymentCrashTest, ARepeatAfterACrashGetsTheOneAuthorizationTheProcessorMade) {
  // No sweeping during this test: the repeat must find the payment as the crash left it.
  suite_->SetEnv("payment", kMaxAgeVar, "3600");
  for (const Step& step : kSteps) {
    const std::string key = std::string("repeat-") + step.crash_point + "-" + RandomHex(4);
    CrashAt(*suite_, step.crash_point, [&] { (void)Authorize(key); });
    ASSERT_TRUE(suite_->StartService("payment").ok());
    auto repeat = Authorize(key);
    ASSERT_TRUE(repeat.ok()) << step.crash_point << ": " << repeat.status();
    EXPECT_EQ(repeat->state(), pay::PAYMENT_STATE_AUTHORIZED) << step.crash_point;
    EXPECT_EQ(db().Count("payment",
                         "SELECT count(*) FROM payments WHERE idempotency_key = '" + key + "'"),
              1);
    EXPECT_EQ(db().Count("payment",
                         "SELECT count(*) FROM sandbox_authorizations WHERE idempotency_key = '" +
                             key + "'"),
              1);
    EXPECT_EQ(ProcessorState(key), "authorized") << step.crash_point;
  }
  suite_->SetEnv("payment", kMaxAgeVar, "2");
  ASSERT_TRUE(suite_->StartService("payment").ok());
}

// ---- through the gateway and checkout ----

class CheckoutPaymentCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(FaultInjectionCompiledIn()) << "configure with -DMERCATO_FAULT_INJECTION=ON";
    auto suite = Suite::Start({.services = {"gateway"},
                               .env = {{"checkout",
                                        {{"MERCATO_CHECKOUT_LEASE_MS", "4000"},
                                         {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "300"},
                                         {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "2000"},
                                         // Payment dies on purpose, again and again: the
                                         // breaker must not turn the next steps away.
                                         {"MERCATO_PAYMENT_RESILIENCE", "breaker=off"}}},
                                       {"payment", {{kMaxAgeVar, "600"}}}},
                               .database_prefix = "checkout_payment_crash"});
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
    admin_ = new CatalogAdmin(suite_->address("catalog"));
  }
  static void TearDownTestSuite() {
    delete admin_;
    admin_ = nullptr;
    delete suite_;
    suite_ = nullptr;
  }
  static const Databases& db() {
    static Databases databases("checkout_payment_crash");
    return databases;
  }

  static Suite* suite_;
  static CatalogAdmin* admin_;
};

Suite* CheckoutPaymentCrashTest::suite_ = nullptr;
CatalogAdmin* CheckoutPaymentCrashTest::admin_ = nullptr;

// Checks out (each time as a new shopper) until the payment service, started to crash at
// `point`, dies by SIGKILL; returns that checkout's order id. A checkout may not reach the
// restarted payment service at all while checkout's channel to it still backs off; such an
// order is settled by recovery like any other.
std::string CheckOutUntilPaymentDies(Suite& suite, const std::string& product,
                                     const std::string& point) {
  suite.SetEnv("payment", kCrashVar, point);
  EXPECT_TRUE(suite.StartService("payment").ok());
  std::string order_id;
  for (int attempt = 0; attempt < 20 && order_id.empty(); ++attempt) {
    Shopper s;
    EXPECT_EQ(AddToCart(suite.port("gateway"), s, product, 2).status, 200);
    HttpResult answer = Checkout(suite.port("gateway"), s, NewUuid(), CheckoutBody());
    const int status = suite.process("payment").Wait(std::chrono::seconds(2));
    if (status == -1) continue;  // still running: the call did not reach it
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point << ": " << status;
    EXPECT_EQ(answer.status, 503) << point << ": " << answer.body;
    order_id = Databases("checkout_payment_crash")
                   .Checkout("SELECT id FROM orders WHERE user_id = '" + s.id + "'");
  }
  suite.SetEnv("payment", kCrashVar, "");
  return order_id;
}

TEST_F(CheckoutPaymentCrashTest, AnOrderWhosePaymentDiedAtEachStepFailsWithNothingLeftBehind) {
  const int port = suite_->port("gateway");
  const std::string product = admin_->CreateProduct("Crash step", 1200, 100);
  for (const Step& step : kSteps) {
    const std::string order_id = CheckOutUntilPaymentDies(*suite_, product, step.crash_point);
    ASSERT_FALSE(order_id.empty()) << step.crash_point;
    EXPECT_EQ(db().Payment("SELECT state FROM payments WHERE order_id = '" + order_id + "'"),
              step.payment_left)
        << step.crash_point;

    // Payment back: checkout's recovery voids what the payment service recorded, at the
    // processor too, and fails the order with its stock released.
    ASSERT_TRUE(suite_->StartService("payment").ok());
    EXPECT_EQ(
        AwaitSql(db(), "checkout",
                 "SELECT status || '|' || failure_code FROM orders WHERE id = '" + order_id + "'",
                 "failed|checkout_interrupted"),
        "failed|checkout_interrupted")
        << step.crash_point;
    EXPECT_EQ(db().Payment("SELECT state FROM payments WHERE order_id = '" + order_id + "'"),
              "voided")
        << step.crash_point;
    EXPECT_EQ(db().Payment("SELECT coalesce((SELECT a.state FROM sandbox_authorizations a JOIN "
                           "payments p ON p.idempotency_key = a.idempotency_key WHERE "
                           "p.order_id = '" +
                           order_id + "'), 'none')"),
              step.processor_left == std::string("none") ? "none" : "voided")
        << step.crash_point;
    EXPECT_EQ(db().Catalog("SELECT state FROM reservations WHERE id = '" + order_id + "'"),
              "released")
        << step.crash_point;
    // Every order of the step settled (also those that never reached payment): all stock back.
    EXPECT_EQ(
        AwaitSql(db(), "checkout", "SELECT count(*) FROM orders WHERE status = 'pending'", "0"),
        "0")
        << step.crash_point;
    EXPECT_EQ(db().Stock(product), 100) << step.crash_point;
  }
  // And the shop works: the next checkout is paid (once checkout reconnects to payment).
  HttpResult paid;
  for (int attempt = 0; attempt < 40 && paid.status != 201; ++attempt) {
    Shopper s;
    ASSERT_EQ(AddToCart(port, s, product, 1).status, 200);
    paid = Checkout(port, s, NewUuid(), CheckoutBody());
    if (paid.status != 201) std::this_thread::sleep_for(milliseconds(500));
  }
  EXPECT_EQ(paid.status, 201) << paid.body;
  EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments WHERE state = 'pending'"), 0);
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM sandbox_authorizations WHERE state = 'authorized'"),
            0);
}

}  // namespace
}  // namespace mercato::testing
