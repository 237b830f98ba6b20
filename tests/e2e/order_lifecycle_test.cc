// Black-box: an order's life after payment with the real binaries (catalog, cart, user,
// payment, checkout, gateway) and a real Kafka broker. Orders are placed through the gateway;
// CancelOrder, RefundOrder and RecordFulfillment are called on checkout's gRPC API as the
// gateway (with the shopper's or an admin's access token) and as the fulfillment service.
//   - a cancel before shipping: the payment refunded once (GetPayment refunded_amount), the
//     stock back, one OrderCancelled on Kafka;
//   - kill -9 of checkout at each step of a cancel (crash points checkout.cancel_*): the
//     restarted recovery finishes it, refunding and returning exactly once, one event;
//   - 8 concurrent admin refunds that together exceed the capture: the refunds equal the
//     capture exactly;
//   - who may call what: the fulfillment token for RecordFulfillment only, the gateway's
//     not for it; once shipped, a cancel is refused.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/fault_injection.h"
#include "common/status.h"
#include "events/contracts.h"
#include "events/kafka.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/concurrency.h"
#include "support/identity.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using std::chrono::milliseconds;
namespace co = mercato::checkout::v1;

constexpr char kPrefix[] = "order_lifecycle_e2e";
constexpr char kCrashVar[] = "MERCATO_FAULT_CRASH_AT";

template <typename F>
bool PollFor(F ready, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return ready();
}

class OrderLifecycleE2eTest : public ShopTest<OrderLifecycleE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"*", {{"MERCATO_OUTBOX_POLL_INTERVAL_MS", "50"}}},
                    {"checkout",
                     {{"MERCATO_CHECKOUT_LEASE_MS", "4000"},
                      {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "200"}}}},
            .database_prefix = kPrefix,
            .kafka = true};
  }
  static void SetUpTestSuite() {
    ShopTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    ConnectStubs();
  }
  static void TearDownTestSuite() {
    checkout_.reset();
    payment_.reset();
    ShopTest::TearDownTestSuite();
  }

 protected:
  static void ConnectStubs() {
    checkout_ = NewStub<co::CheckoutService>(suite_->address("checkout"));
    payment_ = NewStub<payment::v1::PaymentService>(suite_->address("payment"));
  }

  struct Placed {
    Shopper shopper;
    std::string order_id;
    int64_t total = 0;
  };
  // A paid order of `quantity` units of `product_id`, placed through the gateway.
  static Placed Place(const std::string& product_id, int quantity) {
    Placed p;
    EXPECT_EQ(AddToCart(port(), p.shopper, product_id, quantity).status, 200);
    HttpResult r = Checkout(port(), p.shopper, NewUuid(), CheckoutBody());
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return p;
    p.order_id = r.json["id"].get<std::string>();
    p.total = db().Count("checkout", "SELECT total FROM orders WHERE id = '" + p.order_id + "'");
    return p;
  }

  static grpc::Status Cancel(const Placed& p, co::Order* out) {
    co::CancelOrderRequest request;
    request.set_id(p.order_id);
    return checkout_->CancelOrder(CallAs("gateway", "checkout", p.shopper.token).get(), request,
                                  out);
  }

  static int64_t PaymentRefunded(const std::string& order_id) {
    payment::v1::GetPaymentRequest request;
    request.set_id(db().Checkout("SELECT payment_id FROM orders WHERE id = '" + order_id + "'"));
    payment::v1::Payment p;
    grpc::Status s = payment_->GetPayment(CallAs("checkout", "payment").get(), request, &p);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return p.refunded_amount().amount();
  }

  static int64_t OutboxCount(const std::string& order_id, const std::string& type) {
    return db().Count("checkout", "SELECT count(*) FROM outbox WHERE aggregate_id = '" + order_id +
                                      "' AND event_type = 'mercato.events.v1." + type + "'");
  }

  // The events of type `type` for `order_id` on the orders topic.
  static int KafkaCount(const std::string& order_id, const std::string& type) {
    auto records = events::ReadTopic(suite_->kafka_brokers(), events::kOrdersTopic);
    if (!records.ok()) return -1;
    int n = 0;
    for (const auto& r : *records) {
      if (r.key != order_id) continue;
      events::v1::Envelope e;
      if (e.ParseFromString(r.value) && e.type() == "mercato.events.v1." + type) ++n;
    }
    return n;
  }

  static inline std::unique_ptr<co::CheckoutService::Stub> checkout_;
  static inline std::unique_ptr<payment::v1::PaymentService::Stub> payment_;
};

TEST_F(OrderLifecycleE2eTest, CancelBeforeShippingRefundsOnceAndReturnsTheStock) {
  const std::string product = admin_->CreateProduct("Lifecycle lamp", 2500, 10);
  Placed p = Place(product, 2);
  ASSERT_FALSE(p.order_id.empty());
  EXPECT_EQ(db().Stock(product), 8);
  co::Order order;
  grpc::Status s = Cancel(p, &order);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(order.status(), co::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(order.refunded().amount(), p.total);
  EXPECT_FALSE(order.cancellable());
  // A repeat returns the cancelled order and moves nothing again.
  ASSERT_TRUE(Cancel(p, &order).ok());
  EXPECT_EQ(PaymentRefunded(p.order_id), p.total);
  EXPECT_EQ(db().Stock(product), 10);
  EXPECT_TRUE(
      PollFor([&] { return KafkaCount(p.order_id, "OrderCancelled") >= 1; }, milliseconds(60000)));
  EXPECT_EQ(KafkaCount(p.order_id, "OrderCancelled"), 1);
  // Another shopper cannot see, let alone cancel, it.
  Placed other = p;
  other.shopper = Shopper();
  EXPECT_EQ(Cancel(other, &order).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(OrderLifecycleE2eTest, KillAtEachCancelStepIsFinishedExactlyOnce) {
  ASSERT_TRUE(FaultInjectionCompiledIn()) << "configure with -DMERCATO_FAULT_INJECTION=ON";
  const std::string product = admin_->CreateProduct("Crash kettle", 1800, 50);
  for (const char* point : {"checkout.cancel_after_begin", "checkout.cancel_after_refund",
                            "checkout.cancel_after_refund_recorded", "checkout.cancel_after_return",
                            "checkout.cancel_after_return_recorded"}) {
    SCOPED_TRACE(point);
    const int64_t stock_before = db().Stock(product);
    Placed p = Place(product, 1);
    ASSERT_FALSE(p.order_id.empty());
    suite_->SetEnv("checkout", kCrashVar, point);
    suite_->Kill("checkout");
    ASSERT_TRUE(suite_->StartService("checkout").ok());
    ConnectStubs();
    co::Order order;
    EXPECT_FALSE(Cancel(p, &order).ok());  // the process died answering
    const int status = suite_->process("checkout").Wait(std::chrono::seconds(20));
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    suite_->SetEnv("checkout", kCrashVar, "");
    ASSERT_TRUE(suite_->StartService("checkout").ok());
    ConnectStubs();
    ASSERT_TRUE(PollFor(
        [&] {
          return db().Checkout("SELECT status FROM orders WHERE id = '" + p.order_id + "'") ==
                 "cancelled";
        },
        milliseconds(30000)));
    EXPECT_EQ(PaymentRefunded(p.order_id), p.total);
    EXPECT_EQ(db().Stock(product), stock_before);
    EXPECT_EQ(OutboxCount(p.order_id, "OrderCancelled"), 1);
    EXPECT_TRUE(PollFor([&] { return KafkaCount(p.order_id, "OrderCancelled") >= 1; },
                        milliseconds(60000)));
    EXPECT_EQ(KafkaCount(p.order_id, "OrderCancelled"), 1);
  }
}

TEST_F(OrderLifecycleE2eTest, ConcurrentAdminRefundsEqualTheCaptureExactly) {
  const std::string product = admin_->CreateProduct("Refund rug", 4000, 10);
  Placed p = Place(product, 1);
  ASSERT_FALSE(p.order_id.empty());
  const int64_t quarter = p.total / 4;
  const std::string admin_token = MintToken(NewUuid(), "admin");
  auto refund = [&](const std::string& key, int64_t amount, co::Order* out) {
    co::RefundOrderRequest request;
    request.set_order_id(p.order_id);
    request.set_idempotency_key(key);
    if (amount > 0) {
      request.mutable_amount()->set_amount(amount);
      request.mutable_amount()->set_currency("USD");
    }
    return checkout_->RefundOrder(CallAs("gateway", "checkout", admin_token).get(), request, out);
  };
  std::atomic<int> ok{0};
  std::atomic<int> exceeded{0};
  RunConcurrently(8, [&](int i) {
    co::Order out;
    grpc::Status s = refund("admin-" + std::to_string(i), quarter, &out);
    if (s.ok()) {
      ++ok;
    } else if (ErrorCodeOf(FromGrpcStatus(s)) == "refund_exceeds_capture") {
      ++exceeded;
    } else {
      ADD_FAILURE() << s.error_message();
    }
  });
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(exceeded.load(), 4);
  co::Order out;
  if (p.total % 4 != 0) ASSERT_TRUE(refund("the-rest", 0, &out).ok());
  EXPECT_EQ(PaymentRefunded(p.order_id), p.total);
  EXPECT_EQ(
      db().Checkout("SELECT status || ':' || refunded FROM orders WHERE id = '" + p.order_id + "'"),
      "refunded:" + std::to_string(p.total));
  // A customer is not an admin.
  co::RefundOrderRequest request;
  request.set_order_id(p.order_id);
  request.set_idempotency_key("customer");
  EXPECT_EQ(
      checkout_->RefundOrder(CallAs("gateway", "checkout", p.shopper.token).get(), request, &out)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(OrderLifecycleE2eTest, OnlyTheFulfillmentServiceRecordsStagesAndShippingEndsCancel) {
  const std::string product = admin_->CreateProduct("Shipped shelf", 900, 10);
  Placed p = Place(product, 1);
  ASSERT_FALSE(p.order_id.empty());
  co::RecordFulfillmentRequest stage;
  stage.set_order_id(p.order_id);
  stage.set_stage(co::FULFILLMENT_STAGE_FULFILLING);
  co::Order order;
  EXPECT_EQ(
      checkout_->RecordFulfillment(CallAs("gateway", "checkout").get(), stage, &order).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  co::GetOrderRequest get;
  get.set_id(p.order_id);
  EXPECT_EQ(
      checkout_->GetOrder(CallAs("fulfillment", "checkout", p.shopper.token).get(), get, &order)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      checkout_->RecordFulfillment(CallAs("fulfillment", "checkout").get(), stage, &order).ok());
  EXPECT_EQ(order.status(), co::ORDER_STATUS_FULFILLING);
  stage.set_stage(co::FULFILLMENT_STAGE_SHIPPED);
  stage.set_carrier("Mercato Post");
  stage.set_tracking_number("MP0001");
  ASSERT_TRUE(
      checkout_->RecordFulfillment(CallAs("fulfillment", "checkout").get(), stage, &order).ok());
  EXPECT_EQ(order.status(), co::ORDER_STATUS_SHIPPED);
  ASSERT_EQ(order.timeline_size(), 3);
  EXPECT_EQ(order.timeline(2).carrier(), "Mercato Post");
  grpc::Status refused = Cancel(p, &order);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorCodeOf(FromGrpcStatus(refused)), "order_not_cancellable");
  EXPECT_EQ(PaymentRefunded(p.order_id), 0);
}

}  // namespace
}  // namespace mercato::testing
