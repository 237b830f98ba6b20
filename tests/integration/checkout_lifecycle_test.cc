// The order's life after payment (order_lifecycle.h) on a real PostgreSQL, with the payment
// and catalog services simulated behind gMock stubs: cancellation (each step, its recovery
// after a failure at each step, exactly one refund and one stock return), admin refunds
// (idempotency, lines, 8 concurrent refunds that together exceed the capture), fulfillment
// stages (forward only, idempotent, the timeline), the race of a cancel with SHIPPED on 60
// orders (exactly one winner each), and the database's own guard on the lifecycle.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "checkout/order_lifecycle.h"
#include "checkout/payment_event_recorder.h"
#include "checkout/postgres_checkout_store.h"
#include "common/ids.h"
#include "common/status.h"
#include "events/contracts.h"
#include "mercato/cart/v1/cart_mock.grpc.pb.h"
#include "mercato/catalog/v1/catalog_mock.grpc.pb.h"
#include "mercato/payment/v1/payment_mock.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/concurrency.h"
#include "support/migrated_database.h"
#include "support/postgres.h"

namespace mercato::checkout {
namespace {

using mercato::testing::MigratedDatabase;
using mercato::testing::PostgresServer;
using mercato::testing::RunConcurrently;
using ::testing::_;
using ::testing::Invoke;

constexpr char kDatabase[] = "checkout_lifecycle_test";

// The payment service's refunds (per payment: captured amount, refunds by key) and the
// catalog's returns, with faults to inject: the next call of a method fails, before or after
// acting (a lost reply).
class LifecycleWorld {
 public:
  ::testing::NiceMock<payment::v1::MockPaymentServiceStub> payment;
  ::testing::NiceMock<catalog::v1::MockCatalogServiceStub> catalog;
  ::testing::NiceMock<cart::v1::MockCartServiceStub> cart;

  LifecycleWorld() {
    ON_CALL(payment, Refund(_, _, _))
        .WillByDefault(Invoke([this](auto*, const payment::v1::RefundRequest& r, auto* out) {
          return Act("Refund", [&] { return DoRefund(r, out); });
        }));
    ON_CALL(catalog, ReturnStock(_, _, _))
        .WillByDefault(Invoke([this](auto*, const catalog::v1::ReturnStockRequest& r, auto* out) {
          return Act("ReturnStock", [&] {
            out->set_reservation_id(r.reservation_id());
            ++returns[r.reservation_id()];
            return absl::OkStatus();
          });
        }));
  }

  void Capture(const std::string& payment_id, int64_t amount) {
    std::lock_guard<std::mutex> lock(mu_);
    captured[payment_id] = amount;
  }
  // The next call of `method` answers UNAVAILABLE; after acting when `after_acting`.
  void FailNext(const std::string& method, bool after_acting) {
    std::lock_guard<std::mutex> lock(mu_);
    faults[method] = after_acting ? 2 : 1;
  }
  int64_t Refunded(const std::string& payment_id) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t sum = 0;
    for (const auto& [key, amount] : refunds[payment_id]) sum += amount;
    return sum;
  }
  int Returns(const std::string& order_id) {
    std::lock_guard<std::mutex> lock(mu_);
    return returns[order_id];
  }
  std::map<std::string, int64_t> RefundsOf(const std::string& payment_id) {
    std::lock_guard<std::mutex> lock(mu_);
    return refunds[payment_id];
  }

 private:
  template <typename Fn>
  grpc::Status Act(const std::string& method, Fn act) {
    std::lock_guard<std::mutex> lock(mu_);
    const int fault = std::exchange(faults[method], 0);
    if (fault == 2) act().IgnoreError();
    if (fault != 0) return ToGrpcStatus(absl::UnavailableError("injected"));
    return ToGrpcStatus(act());
  }

  absl::Status DoRefund(const payment::v1::RefundRequest& r, payment::v1::Payment* out) {
    out->set_id(r.payment_id());
    auto& by_key = refunds[r.payment_id()];
    if (auto it = by_key.find(r.idempotency_key()); it != by_key.end()) {
      if (it->second != r.amount().amount()) {
        return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                             "reused");
      }
      return absl::OkStatus();
    }
    int64_t sum = 0;
    for (const auto& [key, amount] : by_key) sum += amount;
    if (sum + r.amount().amount() > captured[r.payment_id()]) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture",
                           "exceeds");
    }
    by_key[r.idempotency_key()] = r.amount().amount();
    return absl::OkStatus();
  }

  std::mutex mu_;
  std::map<std::string, int64_t> captured;
  std::map<std::string, std::map<std::string, int64_t>> refunds;  // payment -> key -> amount
  std::map<std::string, int> returns;
  std::map<std::string, int> faults;
};

class CheckoutLifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = MigratedDatabase(kDatabase, {.size = 24}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    pool_ = db->pool.release();
    store_ = new PostgresCheckoutStore(*pool_);
  }
  static void TearDownTestSuite() {
    delete store_;
    delete pool_;
  }
  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }

  CheckoutLifecycleTest()
      : lifecycle_(*store_, world_.catalog, world_.cart, world_.payment,
                   // No lease: recovery may take over any cancellation or refund at once.
                   {.lease = absl::ZeroDuration()}) {}

  // A paid order of `user`: 3 x A at 1000 and 2 x B at 500, no shipping or tax: 4000 USD,
  // captured.
  std::string PaidOrder(const std::string& user = "ann") {
    OrderRecord r;
    r.order.set_id(NewUuid());
    r.order.set_user_id(user);
    r.idempotency_key = NewUuid();
    r.request_fingerprint = "fp";
    r.step = OrderStep::kPriced;
    auto add = [&](const std::string& id, int quantity, int64_t price) {
      v1::OrderItem* item = r.order.add_items();
      item->set_product_id(id);
      item->set_name(id);
      item->set_quantity(quantity);
      item->mutable_unit_price()->set_amount(price);
      item->mutable_line_total()->set_amount(price * quantity);
    };
    add("A", 3, 1000);
    add("B", 2, 500);
    for (auto* m : {r.order.mutable_subtotal(), r.order.mutable_total()}) {
      m->set_amount(4000);
      m->set_currency("USD");
    }
    r.order.mutable_shipping()->set_currency("USD");
    r.order.mutable_tax()->set_currency("USD");
    r.order.mutable_shipping_address()->set_country("DE");
    EXPECT_TRUE(store_->CreateOrder(r, "o", absl::Seconds(30)).ok());
    const std::string payment_id = "pay-" + r.order.id();
    EXPECT_TRUE(store_->Advance(r, "o", {.step = OrderStep::kReserved}, absl::Seconds(30)).ok());
    EXPECT_TRUE(store_
                    ->Advance(r, "o", {.step = OrderStep::kPaid, .payment_id = payment_id},
                              absl::Seconds(30))
                    .ok());
    world_.Capture(payment_id, 4000);
    return r.order.id();
  }

  v1::Order Get(const std::string& id) {
    auto r = store_->GetOrder(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->order : v1::Order();
  }

  absl::StatusOr<v1::Order> Stage(const std::string& id, v1::FulfillmentStage stage) {
    v1::RecordFulfillmentRequest r;
    r.set_order_id(id);
    r.set_stage(stage);
    if (stage == v1::FULFILLMENT_STAGE_SHIPPED) {
      r.set_carrier("Mercato Post");
      r.set_tracking_number("MP-" + id.substr(0, 8));
    }
    return lifecycle_.RecordFulfillment(r);
  }

  absl::StatusOr<v1::Order> RefundAmount(const std::string& id, const std::string& key,
                                         int64_t amount) {
    v1::RefundOrderRequest r;
    r.set_order_id(id);
    r.set_idempotency_key(key);
    r.mutable_amount()->set_amount(amount);
    r.mutable_amount()->set_currency("USD");
    return lifecycle_.Refund(r);
  }

  static std::string Events(const std::string& order_id) {
    return Sql(
        "SELECT coalesce(string_agg(event_type, ',' ORDER BY id), '') FROM outbox "
        "WHERE aggregate_id = '" +
        order_id +
        "' AND event_type NOT IN ('mercato.events.v1.OrderPlaced', "
        "'mercato.events.v1.OrderPaid')");
  }

  static std::vector<v1::OrderStatus> Timeline(const v1::Order& order) {
    std::vector<v1::OrderStatus> out;
    for (const auto& e : order.timeline()) out.push_back(e.status());
    return out;
  }

  static PgPool* pool_;
  static PostgresCheckoutStore* store_;
  LifecycleWorld world_;
  OrderLifecycle lifecycle_;
};

PgPool* CheckoutLifecycleTest::pool_ = nullptr;
PostgresCheckoutStore* CheckoutLifecycleTest::store_ = nullptr;

TEST_F(CheckoutLifecycleTest, APaidOrderShowsItsLifecycleFields) {
  const std::string id = PaidOrder();
  v1::Order order = Get(id);
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_PAID);
  EXPECT_TRUE(order.cancellable());
  EXPECT_EQ(order.refunded().amount(), 0);
  EXPECT_EQ(order.refunded().currency(), "USD");
  EXPECT_EQ(Timeline(order), std::vector<v1::OrderStatus>{v1::ORDER_STATUS_PAID});
  auto listed = store_->ListOrders("ann", 100, 0);
  ASSERT_TRUE(listed.ok());
  bool found = false;
  for (const auto& r : *listed) {
    if (r.order.id() != id) continue;
    found = true;
    EXPECT_EQ(r.order.timeline_size(), 1);
    EXPECT_TRUE(r.order.cancellable());
  }
  EXPECT_TRUE(found);
}

TEST_F(CheckoutLifecycleTest, CancelRefundsReturnsAndPublishesOnce) {
  const std::string id = PaidOrder();
  auto cancelled = lifecycle_.Cancel("ann", id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_FALSE(cancelled->cancellable());
  EXPECT_EQ(cancelled->refunded().amount(), 4000);
  EXPECT_EQ(Timeline(*cancelled),
            (std::vector<v1::OrderStatus>{v1::ORDER_STATUS_PAID, v1::ORDER_STATUS_CANCELLING,
                                          v1::ORDER_STATUS_CANCELLED}));
  EXPECT_EQ(cancelled->timeline(2).amount().amount(), 4000);
  // A repeat returns it and moves nothing.
  auto again = lifecycle_.Cancel("ann", id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(world_.RefundsOf("pay-" + id), (std::map<std::string, int64_t>{{"cancel", 4000}}));
  EXPECT_EQ(world_.Returns(id), 1);
  EXPECT_EQ(Events(id), "mercato.events.v1.OrderCancelled");
  // Another shopper's order does not exist for them.
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Cancel("bob", PaidOrder()).status()), "order_not_found");
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Cancel("ann", NewUuid()).status()), "order_not_found");
}

TEST_F(CheckoutLifecycleTest, CancelIsRefusedOnceShippedOrRefunded) {
  const std::string shipped = PaidOrder();
  ASSERT_TRUE(Stage(shipped, v1::FULFILLMENT_STAGE_FULFILLING).ok());
  ASSERT_TRUE(Stage(shipped, v1::FULFILLMENT_STAGE_SHIPPED).ok());
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Cancel("ann", shipped).status()), "order_not_cancellable");
  const std::string refunded = PaidOrder();
  ASSERT_TRUE(RefundAmount(refunded, "all-of-it", 4000).ok());
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Cancel("ann", refunded).status()), "order_not_cancellable");
  EXPECT_EQ(world_.Refunded("pay-" + shipped), 0);
}

// A failure at each step of a cancellation (before or after the other service acted) leaves
// the order CANCELLING; recovery finishes it, refunding and returning exactly once.
TEST_F(CheckoutLifecycleTest, RecoveryFinishesACancellationInterruptedAtAnyStep) {
  for (const std::string method : {"Refund", "ReturnStock"}) {
    for (bool after_acting : {false, true}) {
      SCOPED_TRACE(absl::StrCat(method, after_acting ? " after acting" : " before acting"));
      const std::string id = PaidOrder();
      world_.FailNext(method, after_acting);
      auto cancelling = lifecycle_.Cancel("ann", id);
      ASSERT_TRUE(cancelling.ok()) << cancelling.status();
      EXPECT_EQ(cancelling->status(), v1::ORDER_STATUS_CANCELLING);
      EXPECT_EQ(Events(id), "");
      // The recorded step says how far it got.
      EXPECT_EQ(Sql("SELECT cancel_step FROM orders WHERE id = '" + id + "'"),
                method == "Refund" ? "requested" : "refunded");
      auto recovered = lifecycle_.RecoverOnce();
      ASSERT_TRUE(recovered.ok()) << recovered.status();
      EXPECT_GE(*recovered, 1);
      EXPECT_EQ(Get(id).status(), v1::ORDER_STATUS_CANCELLED);
      EXPECT_EQ(world_.Refunded("pay-" + id), 4000);
      EXPECT_EQ(world_.Returns(id), 1 + (method == "ReturnStock" && after_acting ? 1 : 0));
      EXPECT_EQ(Events(id), "mercato.events.v1.OrderCancelled");
      ASSERT_TRUE(lifecycle_.RecoverOnce().ok());
      EXPECT_EQ(Events(id), "mercato.events.v1.OrderCancelled");
    }
  }
}

TEST_F(CheckoutLifecycleTest, CancelAfterAPartialRefundRefundsTheRest) {
  const std::string id = PaidOrder();
  auto partial = RefundAmount(id, "goodwill", 700);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_TRUE(partial->cancellable());
  auto cancelled = lifecycle_.Cancel("ann", id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(cancelled->refunded().amount(), 4000);
  EXPECT_EQ(world_.RefundsOf("pay-" + id),
            (std::map<std::string, int64_t>{{"cancel", 3300}, {"refund:goodwill", 700}}));
  EXPECT_EQ(Events(id), "mercato.events.v1.OrderRefunded,mercato.events.v1.OrderCancelled");
}

TEST_F(CheckoutLifecycleTest, RefundsAreIdempotentPerKeyAndByLine) {
  const std::string id = PaidOrder();
  v1::RefundOrderRequest lines;
  lines.set_order_id(id);
  lines.set_idempotency_key("line-1");
  auto* a = lines.add_lines();
  a->set_product_id("A");
  a->set_quantity(2);
  auto first = lifecycle_.Refund(lines);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->refunded().amount(), 2000);
  EXPECT_EQ(first->status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(first->timeline(1).status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(first->timeline(1).amount().amount(), 2000);
  // The same key and request: the same outcome, no money moved again.
  auto repeat = lifecycle_.Refund(lines);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refunded().amount(), 2000);
  // The same key, another request.
  a->set_quantity(1);
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Refund(lines).status()), "idempotency_key_reused");
  // Two more A's than the line has left.
  lines.set_idempotency_key("line-2");
  a->set_quantity(2);
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Refund(lines).status()), "refund_exceeds_capture");
  a->set_quantity(1);
  ASSERT_TRUE(lifecycle_.Refund(lines).ok());
  // Everything else: 4000 - 3000.
  v1::RefundOrderRequest rest;
  rest.set_order_id(id);
  rest.set_idempotency_key("rest");
  auto all = lifecycle_.Refund(rest);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->status(), v1::ORDER_STATUS_REFUNDED);
  EXPECT_EQ(all->refunded().amount(), 4000);
  EXPECT_EQ(world_.RefundsOf("pay-" + id),
            (std::map<std::string, int64_t>{
                {"refund:line-1", 2000}, {"refund:line-2", 1000}, {"refund:rest", 1000}}));
  EXPECT_EQ(ErrorCodeOf(RefundAmount(id, "more", 1).status()), "order_not_refundable");
  EXPECT_EQ(Events(id),
            "mercato.events.v1.OrderRefunded,mercato.events.v1.OrderRefunded,"
            "mercato.events.v1.OrderRefunded");
}

// 8 admins refund 1000 each at once from a 4000 capture: exactly 4 succeed, the rest are
// refused, and the order's refunds equal the capture exactly.
TEST_F(CheckoutLifecycleTest, ConcurrentRefundsNeverExceedTheCapture) {
  for (int round = 0; round < 5; ++round) {
    const std::string id = PaidOrder();
    std::atomic<int> ok{0};
    std::atomic<int> exceeded{0};
    RunConcurrently(8, [&](int i) {
      auto r = RefundAmount(id, absl::StrCat("admin-", i), 1000);
      if (r.ok()) {
        ++ok;
      } else if (ErrorCodeOf(r.status()) == "refund_exceeds_capture" ||
                 ErrorCodeOf(r.status()) == "order_not_refundable") {
        ++exceeded;
      } else {
        ADD_FAILURE() << r.status();
      }
    });
    EXPECT_EQ(ok.load(), 4);
    EXPECT_EQ(exceeded.load(), 4);
    v1::Order order = Get(id);
    EXPECT_EQ(order.refunded().amount(), 4000);
    EXPECT_EQ(order.status(), v1::ORDER_STATUS_REFUNDED);
    EXPECT_EQ(world_.Refunded("pay-" + id), 4000);
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox WHERE aggregate_id = '" + id +
                  "' AND event_type = 'mercato.events.v1.OrderRefunded'"),
              "4");
  }
}

TEST_F(CheckoutLifecycleTest, ARefundInterruptedByAnOutageIsCompletedLater) {
  const std::string id = PaidOrder();
  world_.FailNext("Refund", /*after_acting=*/true);
  auto pending = RefundAmount(id, "k", 1500);
  EXPECT_EQ(pending.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorCodeOf(pending.status()), "refund_pending");
  EXPECT_EQ(Get(id).status(), v1::ORDER_STATUS_PAID);
  // Meanwhile the reservation counts: 2600 more would exceed.
  EXPECT_EQ(ErrorCodeOf(RefundAmount(id, "k2", 2600).status()), "refund_exceeds_capture");
  ASSERT_TRUE(lifecycle_.RecoverOnce().ok());
  v1::Order order = Get(id);
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(order.refunded().amount(), 1500);
  EXPECT_EQ(world_.Refunded("pay-" + id), 1500);
  // The repeat learns the outcome.
  auto repeat = RefundAmount(id, "k", 1500);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refunded().amount(), 1500);
}

TEST_F(CheckoutLifecycleTest, FulfillmentStagesMoveForwardWithTheTimeline) {
  const std::string id = PaidOrder();
  EXPECT_EQ(ErrorCodeOf(Stage(id, v1::FULFILLMENT_STAGE_SHIPPED).status()), "invalid_stage");
  ASSERT_TRUE(Stage(id, v1::FULFILLMENT_STAGE_FULFILLING).ok());
  auto repeat = Stage(id, v1::FULFILLMENT_STAGE_FULFILLING);
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ(repeat->timeline_size(), 2);
  auto shipped = Stage(id, v1::FULFILLMENT_STAGE_SHIPPED);
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->status(), v1::ORDER_STATUS_SHIPPED);
  EXPECT_FALSE(shipped->cancellable());
  EXPECT_EQ(shipped->timeline(2).carrier(), "Mercato Post");
  EXPECT_EQ(shipped->timeline(2).tracking_number(), "MP-" + id.substr(0, 8));
  // The answer is the order as GetOrder shows it (items, timeline, history), read by the
  // transaction that recorded the stage.
  auto read = store_->GetOrder(id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_GT(shipped->items_size(), 0);
  EXPECT_GT(shipped->history_size(), 0);
  EXPECT_EQ(shipped->SerializeAsString(), read->order.SerializeAsString());
  EXPECT_EQ(ErrorCodeOf(Stage(id, v1::FULFILLMENT_STAGE_FULFILLING).status()), "invalid_stage");
  auto delivered = Stage(id, v1::FULFILLMENT_STAGE_DELIVERED);
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(Timeline(*delivered),
            (std::vector<v1::OrderStatus>{v1::ORDER_STATUS_PAID, v1::ORDER_STATUS_FULFILLING,
                                          v1::ORDER_STATUS_SHIPPED, v1::ORDER_STATUS_DELIVERED}));
  // A delivered order can still be refunded.
  auto refunded = RefundAmount(id, "late", 4000);
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->status(), v1::ORDER_STATUS_REFUNDED);
  EXPECT_EQ(ErrorCodeOf(Stage(NewUuid(), v1::FULFILLMENT_STAGE_FULFILLING).status()),
            "order_not_found");
}

TEST_F(CheckoutLifecycleTest, APartiallyRefundedOrderStillShips) {
  const std::string id = PaidOrder();
  ASSERT_TRUE(RefundAmount(id, "part", 100).ok());
  ASSERT_TRUE(Stage(id, v1::FULFILLMENT_STAGE_FULFILLING).ok());
  auto shipped = Stage(id, v1::FULFILLMENT_STAGE_SHIPPED);
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(Sql("SELECT stage FROM orders WHERE id = '" + id + "'"), "shipped");
  EXPECT_EQ(ErrorCodeOf(lifecycle_.Cancel("ann", id).status()), "order_not_cancellable");
}

// The shopper cancels while the fulfillment service ships: on every order exactly one wins.
TEST_F(CheckoutLifecycleTest, CancelRacingShipHasExactlyOneWinner) {
  constexpr int kOrders = 60;
  std::vector<std::string> ids;
  for (int i = 0; i < kOrders; ++i) {
    ids.push_back(PaidOrder());
    ASSERT_TRUE(Stage(ids.back(), v1::FULFILLMENT_STAGE_FULFILLING).ok());
  }
  int cancelled = 0;
  int shipped = 0;
  for (const std::string& id : ids) {
    absl::StatusOr<v1::Order> cancel = absl::UnknownError("not run");
    absl::StatusOr<v1::Order> ship = absl::UnknownError("not run");
    RunConcurrently(2, [&](int i) {
      if (i == 0) {
        cancel = lifecycle_.Cancel("ann", id);
      } else {
        ship = Stage(id, v1::FULFILLMENT_STAGE_SHIPPED);
      }
    });
    const v1::Order order = Get(id);
    ASSERT_NE(cancel.ok(), ship.ok()) << cancel.status() << " / " << ship.status();
    if (cancel.ok()) {
      ++cancelled;
      EXPECT_EQ(order.status(), v1::ORDER_STATUS_CANCELLED);
      EXPECT_EQ(ErrorCodeOf(ship.status()), "order_cancelled");
      EXPECT_EQ(world_.Refunded("pay-" + id), 4000);
      EXPECT_EQ(world_.Returns(id), 1);
    } else {
      ++shipped;
      EXPECT_EQ(order.status(), v1::ORDER_STATUS_SHIPPED);
      EXPECT_EQ(ErrorCodeOf(cancel.status()), "order_not_cancellable");
      EXPECT_EQ(world_.Refunded("pay-" + id), 0);
      EXPECT_EQ(world_.Returns(id), 0);
    }
  }
  EXPECT_EQ(cancelled + shipped, kOrders);
}

// The payment service's PaymentRefunded events are recorded against the order, once each.
TEST_F(CheckoutLifecycleTest, PaymentRefundedEventsAreRecordedAgainstTheOrder) {
  const std::string id = PaidOrder();
  events::v1::Envelope refunded = events::NewEvent("payment");
  auto* p = refunded.mutable_payment_refunded();
  p->set_payment_id("pay-" + id);
  p->set_order_id(id);
  p->mutable_amount()->set_amount(700);
  p->mutable_amount()->set_currency("USD");
  p->mutable_total_refunded()->set_amount(700);
  p->mutable_total_refunded()->set_currency("USD");
  p->set_refund_key("refund:goodwill");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        pool_->Transact([&](pqxx::work& tx) { return RecordPaymentEvent(refunded, tx); }).ok());
  }
  EXPECT_EQ(Sql("SELECT string_agg(kind || ':' || amount || ':' || detail, ',') FROM "
                "order_payment_events WHERE order_id = '" +
                id + "'"),
            "refunded:700:refund:goodwill");
}

// Whatever the code does, the database refuses moves the lifecycle does not have.
TEST_F(CheckoutLifecycleTest, TheDatabaseRefusesIllegalMoves) {
  const std::string id = PaidOrder();
  auto tries = [&](const std::string& set) {
    return Sql("SELECT orders_try_update('" + id + "', $q$" + set + "$q$)");
  };
  Sql("CREATE OR REPLACE FUNCTION orders_try_update(oid uuid, assignments text) RETURNS text AS "
      "$f$ BEGIN EXECUTE format('UPDATE orders SET %s WHERE id = %L', assignments, oid); "
      "RETURN 'applied'; EXCEPTION WHEN check_violation THEN RETURN 'refused'; END $f$ "
      "LANGUAGE plpgsql");
  EXPECT_EQ(tries("stage = 'shipped'"), "refused");                           // skipped a stage
  EXPECT_EQ(tries("status = 'delivered', stage = 'fulfilling'"), "refused");  // status != stage
  EXPECT_EQ(tries("status = 'pending'"), "refused");                          // back to the saga
  EXPECT_EQ(tries("status = 'cancelled', cancel_step = 'returned'"), "refused");  // skipped
  EXPECT_EQ(tries("refund_reserved = total + 1"), "refused");
  EXPECT_EQ(tries("status = 'refunded'"), "refused");  // nothing refunded
  ASSERT_TRUE(lifecycle_.Cancel("ann", id).ok());
  EXPECT_EQ(tries("status = 'paid', cancel_step = ''"), "refused");
  EXPECT_EQ(tries("status = 'paid', cancel_step = 'requested'"), "refused");
  // A cancelled order never ships.
  EXPECT_EQ(tries("stage = 'fulfilling'"), "refused");
}

}  // namespace
}  // namespace mercato::checkout
