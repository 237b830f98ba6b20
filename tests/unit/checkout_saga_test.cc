// Unit tests of the order saga (order_saga.h) over an in-memory store and a simulated catalog,
// cart and payment service behind gMock stubs: the forward path, definite refusals and their
// compensations, idempotent replays, failures of every dependency at every step, the
// resolution rules for each payment state, the payment grace, lease fencing, and metrics.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "checkout/order_saga.h"
#include "checkout_fake_store.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "support/checkout_world.h"

namespace mercato::checkout {
namespace {

constexpr char kKnife[] = "11111111-1111-4111-8111-111111111111";
constexpr char kApron[] = "22222222-2222-4222-8222-222222222222";
constexpr char kEuroPan[] = "33333333-3333-4333-8333-333333333333";
constexpr char kUser[] = "user-1";
constexpr char kGoodCard[] = "4242424242424242";

void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& error_code) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ErrorCodeOf(status), error_code) << status;
}

double Counter(prometheus::Registry& registry, const std::string& name, const std::string& label,
               const std::string& value) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      for (const auto& l : metric.label) {
        if (l.name == label && l.value == value) return metric.counter.value;
      }
    }
  }
  return -1;
}

class OrderSagaTest : public ::testing::Test {
 protected:
  OrderSagaTest() : metrics_(registry_) {
    now_ = absl::FromUnixSeconds(1'800'000'000);
    store_.clock = [this] { return now_; };
    world_.AddProduct(kKnife, "Chef knife", 2599, 10);
    world_.AddProduct(kApron, "Apron", 1250, 10);
    world_.AddProduct(kEuroPan, "Euro pan", 3000, 10, "EUR");
  }

  OrderSaga& saga() {
    if (!saga_) {
      saga_ =
          std::make_unique<OrderSaga>(store_, world_.catalog, world_.cart, world_.payment, metrics_,
                                      SagaOptions{.rpc_timeout = std::chrono::seconds(1),
                                                  .reservation_ttl = std::chrono::seconds(600),
                                                  .lease = absl::Seconds(30),
                                                  .payment_grace = absl::Seconds(10),
                                                  .clock = [this] { return now_; }});
    }
    return *saga_;
  }

  static v1::PlaceOrderRequest Request(const std::string& key = "key-1",
                                       const std::string& card = kGoodCard) {
    v1::PlaceOrderRequest r;
    r.set_idempotency_key(key);
    r.set_request_fingerprint("fp-" + key + "-" + card);
    auto* a = r.mutable_shipping_address();
    a->set_name("Ann");
    a->set_line1("1 Main St");
    a->set_city("Berlin");
    a->set_postal_code("10115");
    a->set_country("DE");
    auto* c = r.mutable_card();
    c->set_number(card);
    c->set_exp_month(12);
    c->set_exp_year(2030);
    c->set_cvc("123");
    return r;
  }

  absl::StatusOr<v1::Order> Place(const v1::PlaceOrderRequest& request = Request()) {
    return saga().PlaceOrder(kUser, request);
  }

  // The only order in the store.
  FakeCheckoutStore::Row OnlyOrder() {
    auto ids = store_.ids();
    EXPECT_EQ(ids.size(), 1u);
    return store_.row(ids.at(0));
  }

  double Orders(const std::string& outcome) {
    return Counter(registry_, "mercato_checkout_orders_total", "outcome", outcome);
  }
  double Compensations(const std::string& action) {
    return Counter(registry_, "mercato_checkout_saga_compensations_total", "action", action);
  }
  double Recovered(const std::string& outcome) {
    return Counter(registry_, "mercato_checkout_recovered_orders_total", "outcome", outcome);
  }

  absl::Time now_;
  prometheus::Registry registry_;
  CheckoutMetrics metrics_;
  FakeCheckoutStore store_;
  World world_;
  std::unique_ptr<OrderSaga> saga_;
};

// ---- the forward path ----

TEST_F(OrderSagaTest, PaidOrderRunsEveryStepInOrderAndRecordsEach) {
  world_.cart_lines = {{kKnife, 1}, {kApron, 2}};
  auto order = Place();
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(world_.calls,
            (std::vector<std::string>{"GetCart", "BatchGetProducts", "ReserveStock", "Authorize",
                                      "Capture", "CommitReservation", "ClearCart"}));
  // Prices are the catalog's, never the cart's (the simulated cart says 1 for everything).
  ASSERT_EQ(order->items_size(), 2);
  EXPECT_EQ(order->items(0).product_id(), kKnife);
  EXPECT_EQ(order->items(0).unit_price().amount(), 2599);
  EXPECT_EQ(order->items(1).line_total().amount(), 2500);
  EXPECT_EQ(order->subtotal().amount(), 5099);
  EXPECT_EQ(order->shipping().amount(), 0);
  EXPECT_EQ(order->tax().amount(), 408);
  EXPECT_EQ(order->total().amount(), 5507);
  EXPECT_EQ(order->total().currency(), "USD");
  EXPECT_EQ(order->card_brand(), "visa");
  EXPECT_EQ(order->card_last4(), "4242");
  EXPECT_EQ(order->user_id(), kUser);
  EXPECT_EQ(order->shipping_address().city(), "Berlin");

  // One authorization keyed by the order, for the total, with the card as given.
  EXPECT_EQ(world_.last_authorize.idempotency_key(), "checkout-order:" + order->id());
  EXPECT_EQ(world_.last_authorize.order_id(), order->id());
  EXPECT_EQ(world_.last_authorize.amount().amount(), 5507);
  EXPECT_EQ(world_.last_authorize.amount().currency(), "USD");
  EXPECT_EQ(world_.last_authorize.card().number(), kGoodCard);
  EXPECT_EQ(world_.last_ttl_seconds, 600);
  EXPECT_EQ(world_.PaymentOf(order->id())->state(), payment::v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ(world_.ReservationState(order->id()), "committed");
  EXPECT_EQ(world_.Stock(kKnife), 9);
  EXPECT_EQ(world_.Stock(kApron), 8);
  EXPECT_TRUE(world_.cart_lines.empty());

  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kPaid);
  EXPECT_EQ(row.record.order.payment_id(), world_.PaymentOf(order->id())->id());
  EXPECT_EQ(row.history, (std::vector<std::string>{
                             "priced", "reserved: stock reserved", "authorized: payment authorized",
                             "captured: payment captured", "paid: reservation committed"}));
  EXPECT_TRUE(row.lease_owner.empty());
  EXPECT_EQ(Orders("paid"), 1);
  EXPECT_EQ(Counter(registry_, "mercato_checkout_revenue_minor_units_total", "currency", "USD"),
            5507);
}

TEST_F(OrderSagaTest, SmallOrderPaysFlatShippingAndRoundedTax) {
  world_.cart_lines = {{kApron, 1}};
  auto order = Place();
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->subtotal().amount(), 1250);
  EXPECT_EQ(order->shipping().amount(), 499);
  EXPECT_EQ(order->tax().amount(), 100);
  EXPECT_EQ(order->total().amount(), 1849);
}

TEST_F(OrderSagaTest, WhatTheShopperAddsDuringCheckoutStaysInTheCart) {
  world_.cart_lines = {{kKnife, 1}, {kApron, 2}};
  // Once the saga has read the cart, the shopper (another tab) adds one more knife.
  world_.after_acting["GetCart"] = [this] { world_.cart_lines[0].second += 1; };
  auto order = Place();
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(order->items_size(), 2);
  EXPECT_EQ(order->items(0).quantity(), 1);
  EXPECT_EQ(world_.last_clear.take_size(), 2);
  EXPECT_EQ(world_.last_clear.take(0).product_id(), kKnife);
  EXPECT_EQ(world_.last_clear.take(0).quantity(), 1);
  EXPECT_EQ(world_.last_clear.take(1).product_id(), kApron);
  EXPECT_EQ(world_.last_clear.take(1).quantity(), 2);
  // The bought knife and both aprons are gone; the knife added meanwhile is still there.
  EXPECT_EQ(world_.cart_lines, (std::vector<std::pair<std::string, int>>{{kKnife, 1}}));
}

TEST_F(OrderSagaTest, RepeatWithTheSameKeyReturnsTheFirstOrderWithoutAnyCall) {
  world_.cart_lines = {{kKnife, 1}};
  auto first = Place();
  ASSERT_TRUE(first.ok());
  world_.calls.clear();
  world_.cart_lines = {{kApron, 5}};  // whatever the cart holds now
  auto again = Place();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  EXPECT_EQ(again->items_size(), 1);
  EXPECT_TRUE(world_.calls.empty());
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(Orders("paid"), 1);  // a replay counts nothing
}

TEST_F(OrderSagaTest, SameKeyWithAnotherFingerprintIsRefused) {
  world_.cart_lines = {{kKnife, 1}};
  ASSERT_TRUE(Place().ok());
  v1::PlaceOrderRequest other = Request();
  other.set_request_fingerprint("another-body");
  ExpectError(Place(other).status(), absl::StatusCode::kFailedPrecondition,
              "idempotency_key_reused");
  EXPECT_EQ(store_.size(), 1u);
}

TEST_F(OrderSagaTest, KeysArePerUser) {
  world_.cart_lines = {{kKnife, 1}};
  auto mine = Place();
  ASSERT_TRUE(mine.ok());
  world_.cart_lines = {{kKnife, 1}};
  auto theirs = saga().PlaceOrder("user-2", Request());
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(mine->id(), theirs->id());
}

TEST_F(OrderSagaTest, RepeatWhileTheFirstIsRunningIsInProgress) {
  world_.cart_lines = {{kKnife, 1}};
  // The first request stops after reserving (the payment service does not answer).
  world_.Fail("Authorize", absl::UnavailableError("payment down"));
  world_.Fail("GetPayment", absl::UnavailableError("payment down"));
  ExpectError(Place().status(), absl::StatusCode::kUnavailable, "order_pending");
  const absl::Status repeat = Place().status();
  ExpectError(repeat, absl::StatusCode::kAborted, "in_progress");
  EXPECT_EQ(RetryAfterOf(repeat), 1);
  EXPECT_EQ(store_.size(), 1u);
}

// ---- one order per cart revision (issue 15, defect 12) ----

TEST_F(OrderSagaTest, ACartRevisionBeingOrderedIsRefusedToAnotherKeyUntilItsOrderFails) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("Authorize", absl::UnavailableError("payment down"));
  world_.Fail("GetPayment", absl::UnavailableError("payment down"));
  ExpectError(Place(Request("tab-1")).status(), absl::StatusCode::kUnavailable, "order_pending");

  const absl::Status second = Place(Request("tab-2")).status();
  ExpectError(second, absl::StatusCode::kAborted, "cart_checkout_in_progress");
  EXPECT_EQ(RetryAfterOf(second), 1);
  EXPECT_EQ(store_.size(), 1u);  // nothing recorded for tab-2, nothing reserved
  EXPECT_EQ(world_.reservations.size(), 1u);

  // The first order fails (no payment after the grace): the same cart may be tried again,
  // with the key that was refused too.
  now_ += absl::Seconds(11);
  auto claimed = store_.ClaimStalled("recovery-1", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_EQ(saga().Resolve(claimed->front(), "recovery-1", Driver::kRecovery).record.step,
            OrderStep::kFailed);
  auto retried = Place(Request("tab-2"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->status(), v1::ORDER_STATUS_PAID);
}

TEST_F(OrderSagaTest, APaidCartRevisionIsNeverOrderedAgain) {
  world_.cart_lines = {{kKnife, 1}, {kApron, 1}};
  ASSERT_TRUE(Place(Request("tab-1")).ok());
  // A checkout that read the cart before the paid order took its lines out.
  world_.cart_lines = {{kKnife, 1}, {kApron, 1}};
  world_.cart_revision = "revision-1";
  world_.calls.clear();
  const absl::Status again = Place(Request("tab-2")).status();
  ExpectError(again, absl::StatusCode::kFailedPrecondition, "cart_already_ordered");
  EXPECT_EQ(world_.calls, (std::vector<std::string>{"GetCart", "BatchGetProducts"}));
  EXPECT_EQ(store_.size(), 1u);
  // The shopper changes the cart: a new revision, a new order.
  world_.cart_revision = "revision-2";
  auto next = Place(Request("tab-2"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(store_.size(), 2u);
}

// ---- definite refusals ----

TEST_F(OrderSagaTest, OutOfStockFailsWithoutChargingOrReleasing) {
  world_.cart_lines = {{kKnife, 11}};
  ExpectError(Place().status(), absl::StatusCode::kFailedPrecondition, "out_of_stock");
  EXPECT_EQ(world_.Count("Authorize"), 0);
  EXPECT_EQ(world_.Count("ReleaseReservation"), 0);
  EXPECT_EQ(world_.Stock(kKnife), 10);
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kFailed);
  EXPECT_EQ(row.record.order.failure_code(), "out_of_stock");
  EXPECT_EQ(Orders("out_of_stock"), 1);
  // The refusal is the key's outcome.
  world_.products[kKnife].set_stock(100);
  ExpectError(Place().status(), absl::StatusCode::kFailedPrecondition, "out_of_stock");
  EXPECT_EQ(world_.Count("ReserveStock"), 1);
}

TEST_F(OrderSagaTest, DeclinedCardReleasesTheStock) {
  world_.cart_lines = {{kKnife, 2}};
  const absl::Status s = Place(Request("k", "4000000000000002")).status();
  ExpectError(s, absl::StatusCode::kFailedPrecondition, "payment_declined");
  EXPECT_EQ(HttpStatusOf(s), 402);
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.order.failure_code(), "payment_declined");
  EXPECT_EQ(world_.ReservationState(row.record.order.id()), "released");
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(world_.Count("Capture"), 0);
  EXPECT_EQ(world_.cart_lines.size(), 1u);  // kept for another try
  EXPECT_EQ(Orders("payment_declined"), 1);
  EXPECT_EQ(Compensations("release_stock"), 1);
  // A repeat answers the same without asking anyone.
  world_.calls.clear();
  ExpectError(Place(Request("k", "4000000000000002")).status(),
              absl::StatusCode::kFailedPrecondition, "payment_declined");
  EXPECT_TRUE(world_.calls.empty());
}

TEST_F(OrderSagaTest, InsufficientFundsHasItsOwnCode) {
  world_.cart_lines = {{kKnife, 1}};
  ExpectError(Place(Request("k", "4000000000009995")).status(),
              absl::StatusCode::kFailedPrecondition, "insufficient_funds");
  EXPECT_EQ(world_.Stock(kKnife), 10);
}

TEST_F(OrderSagaTest, InvalidCardReleasesTheStock) {
  world_.cart_lines = {{kKnife, 1}};
  const absl::Status s = Place(Request("k", "4242424242424241")).status();
  ExpectError(s, absl::StatusCode::kInvalidArgument, "invalid_card");
  EXPECT_EQ(s.message(), "card number fails the Luhn check");
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(OnlyOrder().record.order.failure_code(), "invalid_card");
}

TEST_F(OrderSagaTest, EmptyCartIsRecordedAndReplayed) {
  const absl::Status s = Place().status();
  ExpectError(s, absl::StatusCode::kFailedPrecondition, "cart_empty");
  EXPECT_EQ(HttpStatusOf(s), 400);
  EXPECT_EQ(world_.Count("BatchGetProducts"), 0);
  EXPECT_EQ(OnlyOrder().record.step, OrderStep::kFailed);
  world_.cart_lines = {{kKnife, 1}};
  ExpectError(Place().status(), absl::StatusCode::kFailedPrecondition, "cart_empty");
  EXPECT_EQ(world_.Count("ReserveStock"), 0);
}

TEST_F(OrderSagaTest, ProductGoneOrMixedCurrenciesFailBeforeReserving) {
  world_.cart_lines = {{kKnife, 1}, {"99999999-9999-4999-8999-999999999999", 1}};
  ExpectError(Place(Request("a")).status(), absl::StatusCode::kFailedPrecondition,
              "product_unavailable");
  world_.cart_lines = {{kKnife, 1}, {kEuroPan, 1}};
  ExpectError(Place(Request("b")).status(), absl::StatusCode::kFailedPrecondition,
              "mixed_currency");
  EXPECT_EQ(world_.Count("ReserveStock"), 0);
}

TEST_F(OrderSagaTest, ReadErrorsBeforeTheOrderExistsAreNotRecorded) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("GetCart", absl::UnavailableError("redis down"));
  EXPECT_EQ(Place().status().code(), absl::StatusCode::kUnavailable);
  world_.Fail("BatchGetProducts", absl::DeadlineExceededError("slow"));
  EXPECT_EQ(Place().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(store_.size(), 0u);
  // The same key works once the dependencies answer.
  EXPECT_TRUE(Place().ok());
}

TEST_F(OrderSagaTest, MalformedRequestsAreRefusedBeforeAnything) {
  auto check = [&](std::function<void(v1::PlaceOrderRequest&)> change, const std::string& code) {
    v1::PlaceOrderRequest r = Request();
    change(r);
    ExpectError(Place(r).status(), absl::StatusCode::kInvalidArgument, code);
  };
  check([](auto& r) { r.clear_idempotency_key(); }, "invalid_idempotency_key");
  check([](auto& r) { r.set_idempotency_key(std::string(256, 'k')); }, "invalid_idempotency_key");
  check([](auto& r) { r.set_idempotency_key("has space"); }, "invalid_idempotency_key");
  check([](auto& r) { r.clear_request_fingerprint(); }, "invalid_argument");
  check([](auto& r) { r.clear_shipping_address(); }, "invalid_address");
  check([](auto& r) { r.mutable_shipping_address()->clear_line1(); }, "invalid_address");
  check([](auto& r) { r.mutable_shipping_address()->set_country("Germany"); }, "invalid_address");
  check([](auto& r) { r.mutable_shipping_address()->set_city(std::string(201, 'c')); },
        "invalid_address");
  check([](auto& r) { r.clear_card(); }, "invalid_card");
  EXPECT_TRUE(world_.calls.empty());
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(OrderSagaTest, CallsCarryTheCallersIdentityButNotTheirDeadline) {
  world_.cart_lines = {{kKnife, 1}};
  CallContext caller;
  caller.request_id = "req-7";
  caller.user_id = kUser;
  // A caller that has as good as given up: the saga still completes.
  caller.deadline = std::chrono::system_clock::now() - std::chrono::seconds(1);
  ScopedCallContext scope(caller);
  std::vector<std::chrono::system_clock::time_point> deadlines;
  ON_CALL(world_.payment, Capture(::testing::_, ::testing::_, ::testing::_))
      .WillByDefault([&](grpc::ClientContext* ctx, const payment::v1::CaptureRequest& r,
                         payment::v1::Payment* out) {
        deadlines.push_back(ctx->deadline());
        for (auto& [key, p] : world_.payments) {
          if (p.id() == r.payment_id()) {
            p.set_state(payment::v1::PAYMENT_STATE_CAPTURED);
            *out = p;
          }
        }
        return grpc::Status::OK;
      });
  auto order = Place();
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_GT(deadlines[0], std::chrono::system_clock::now());
}

// ---- failures on the way: settled at once ----

TEST_F(OrderSagaTest, CaptureFailureVoidsAndReleases) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("Capture", absl::InternalError("processor error"));
  const absl::Status s = Place().status();
  ExpectError(s, absl::StatusCode::kAborted, "checkout_interrupted");
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kFailed);
  EXPECT_EQ(world_.PaymentOf(row.record.order.id())->state(), payment::v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(world_.ReservationState(row.record.order.id()), "released");
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(Compensations("void_payment"), 1);
  EXPECT_EQ(Compensations("release_stock"), 1);
  EXPECT_EQ(row.history.back(), "failed: payment voided; stock released");
}

TEST_F(OrderSagaTest, CaptureWhoseReplyWasLostRollsForward) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("Capture", absl::DeadlineExceededError("timeout"), /*after_acting=*/true);
  auto order = Place();
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(world_.ReservationState(order->id()), "committed");
  EXPECT_EQ(world_.Count("Void"), 0);
}

TEST_F(OrderSagaTest, AuthorizeWhoseReplyWasLostIsVoidedOnceVisible) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("Authorize", absl::DeadlineExceededError("timeout"), /*after_acting=*/true);
  ExpectError(Place().status(), absl::StatusCode::kAborted, "checkout_interrupted");
  auto row = OnlyOrder();
  EXPECT_EQ(world_.PaymentOf(row.record.order.id())->state(), payment::v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(row.record.order.payment_id(), world_.PaymentOf(row.record.order.id())->id());
  EXPECT_EQ(world_.Stock(kKnife), 10);
}

TEST_F(OrderSagaTest, AuthorizeWithNoAnswerWaitsForTheGraceBeforeFailing) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("Authorize", absl::DeadlineExceededError("timeout"));
  // No payment visible, but the call might still land: the order stays pending.
  ExpectError(Place().status(), absl::StatusCode::kUnavailable, "order_pending");
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kReserved);
  EXPECT_EQ(row.lease_until, now_);  // given up for recovery
  EXPECT_EQ(world_.ReservationState(row.record.order.id()), "held");

  // Within the grace recovery leaves it alone; after it, it fails the order.
  now_ += absl::Seconds(5);
  auto claimed = store_.ClaimStalled("recovery-1", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  Resolution r = saga().Resolve(claimed->front(), "recovery-1", Driver::kRecovery);
  EXPECT_EQ(r.record.step, OrderStep::kReserved);
  now_ += absl::Seconds(6);
  claimed = store_.ClaimStalled("recovery-2", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  r = saga().Resolve(claimed->front(), "recovery-2", Driver::kRecovery);
  EXPECT_EQ(r.record.step, OrderStep::kFailed);
  EXPECT_EQ(r.record.order.failure_code(), "checkout_interrupted");
  EXPECT_EQ(world_.ReservationState(row.record.order.id()), "released");
  EXPECT_EQ(Recovered("failed"), 1);
}

TEST_F(OrderSagaTest, ReserveWhoseReplyWasLostIsReleased) {
  world_.cart_lines = {{kKnife, 3}};
  world_.Fail("ReserveStock", absl::DeadlineExceededError("timeout"), /*after_acting=*/true);
  ExpectError(Place().status(), absl::StatusCode::kAborted, "checkout_interrupted");
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(world_.Count("GetPayment"), 0);  // no Authorize could have been sent
}

TEST_F(OrderSagaTest, ExpiredReservationAfterCaptureIsRefunded) {
  world_.cart_lines = {{kKnife, 1}};
  // The reservation expires between capture and commit.
  ON_CALL(world_.payment, Capture(::testing::_, ::testing::_, ::testing::_))
      .WillByDefault([&](auto*, const payment::v1::CaptureRequest& r, payment::v1::Payment* out) {
        for (auto& [key, p] : world_.payments) {
          if (p.id() != r.payment_id()) continue;
          p.set_state(payment::v1::PAYMENT_STATE_CAPTURED);
          *out = p;
          auto& reservation = world_.reservations[p.order_id()];
          reservation.state = "expired";
          world_.products[kKnife].set_stock(world_.Stock(kKnife) + 1);
        }
        return grpc::Status::OK;
      });
  const absl::Status s = Place().status();
  ExpectError(s, absl::StatusCode::kAborted, "reservation_expired");
  auto row = OnlyOrder();
  EXPECT_EQ(world_.PaymentOf(row.record.order.id())->state(), payment::v1::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(Compensations("refund_payment"), 1);
  EXPECT_EQ(Orders("reservation_expired"), 1);
}

TEST_F(OrderSagaTest, CatalogDownAtCommitLeavesTheOrderForRecoveryWhichFinishesIt) {
  world_.cart_lines = {{kKnife, 1}};
  world_.Fail("CommitReservation", absl::UnavailableError("catalog down"));
  world_.Fail("CommitReservation", absl::UnavailableError("catalog down"));
  const absl::Status s = Place().status();
  ExpectError(s, absl::StatusCode::kUnavailable, "order_pending");
  EXPECT_EQ(HttpStatusOf(s), 503);
  EXPECT_GT(RetryAfterOf(s), 0);
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kCaptured);
  EXPECT_EQ(store_.lease_releases, 1);
  // Recovery, with the catalog back: captured money rolls forward.
  auto claimed = store_.ClaimStalled("recovery", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  Resolution r = saga().Resolve(claimed->front(), "recovery", Driver::kRecovery);
  EXPECT_EQ(r.record.step, OrderStep::kPaid);
  EXPECT_TRUE(r.pending_cause.ok());
  EXPECT_EQ(world_.ReservationState(row.record.order.id()), "committed");
  EXPECT_EQ(Recovered("paid"), 1);
  EXPECT_EQ(Orders("paid"), 1);
  EXPECT_TRUE(world_.cart_lines.empty());
  // The request's key now answers with the order.
  auto replay = Place();
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->id(), row.record.order.id());
}

TEST_F(OrderSagaTest, DatabaseErrorWhileRecordingIsSettledWithTheDatabaseBack) {
  world_.cart_lines = {{kKnife, 1}};
  store_.next_advance_error = absl::UnavailableError("db down");  // recording "reserved"
  ExpectError(Place().status(), absl::StatusCode::kAborted, "checkout_interrupted");
  EXPECT_EQ(world_.Count("Authorize"), 0);
  EXPECT_EQ(world_.Stock(kKnife), 10);
  EXPECT_EQ(OnlyOrder().record.step, OrderStep::kFailed);
}

// ---- fencing ----

TEST_F(OrderSagaTest, ARequestThatLostItsLeaseStopsAndVoidsWhatRecoveryCouldNotSee) {
  world_.cart_lines = {{kKnife, 1}};
  // While the request waits for Authorize, recovery takes the order over and fails it (it
  // saw no payment yet).
  ON_CALL(world_.payment, Authorize(::testing::_, ::testing::_, ::testing::_))
      .WillByDefault(
          [&](auto*, const payment::v1::AuthorizeRequest& request, payment::v1::Payment* out) {
            const std::string id = request.order_id();
            store_.Abandon(id, absl::Minutes(1));
            auto claimed = store_.ClaimStalled("recovery", absl::Seconds(30), 10);
            EXPECT_EQ(claimed->size(), 1u);
            Resolution r = saga().Resolve(claimed->front(), "recovery", Driver::kRecovery);
            EXPECT_EQ(r.record.step, OrderStep::kFailed);
            payment::v1::Payment p;
            p.set_id(NewUuid());
            p.set_idempotency_key(request.idempotency_key());
            p.set_state(payment::v1::PAYMENT_STATE_AUTHORIZED);
            p.set_order_id(id);
            world_.payments[request.idempotency_key()] = p;
            *out = p;
            return grpc::Status::OK;
          });
  ExpectError(Place().status(), absl::StatusCode::kAborted, "in_progress");
  auto row = OnlyOrder();
  EXPECT_EQ(row.record.step, OrderStep::kFailed);
  EXPECT_EQ(world_.PaymentOf(row.record.order.id())->state(), payment::v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(world_.Count("Capture"), 0);
  EXPECT_EQ(world_.Stock(kKnife), 10);
}

// ---- resolution of each crash point ----

struct CrashCase {
  const char* name;
  OrderStep step;
  // Payment state when recovery comes; UNSPECIFIED for none.
  payment::v1::PaymentState payment;
  bool reservation_closed;
  OrderStep expected;
  const char* failure_code;
  payment::v1::PaymentState payment_after;
  const char* reservation_after;
};

class OrderSagaResolveTest : public OrderSagaTest,
                             public ::testing::WithParamInterface<CrashCase> {};

TEST_P(OrderSagaResolveTest, DrivesTheOrderToItsTerminalState) {
  const CrashCase& c = GetParam();
  const std::string id = NewUuid();
  // What the crashed process had done.
  world_.reservations[id] =
      World::Reservation{c.reservation_closed ? "expired" : "held", {{kKnife, 2}}};
  world_.products[kKnife].set_stock(c.reservation_closed ? 10 : 8);
  if (c.payment != payment::v1::PAYMENT_STATE_UNSPECIFIED) {
    payment::v1::Payment p;
    p.set_id(NewUuid());
    p.set_idempotency_key("checkout-order:" + id);
    p.set_state(c.payment);
    p.set_order_id(id);
    if (c.payment == payment::v1::PAYMENT_STATE_DECLINED) p.set_decline_code("card_declined");
    world_.payments["checkout-order:" + id] = p;
  }
  OrderRecord record;
  record.order.set_id(id);
  record.order.set_user_id(kUser);
  record.idempotency_key = "crashed";
  record.request_fingerprint = "fp";
  record.step = c.step;
  auto* item = record.order.add_items();
  item->set_product_id(kKnife);
  item->set_quantity(2);
  record.order.mutable_total()->set_amount(5398);
  record.order.mutable_total()->set_currency("USD");
  store_.PutAbandoned(record, absl::Minutes(1));

  auto claimed = store_.ClaimStalled("recovery", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  Resolution r = saga().Resolve(claimed->front(), "recovery", Driver::kRecovery);
  EXPECT_EQ(r.record.step, c.expected) << c.name << ": " << r.pending_cause;
  EXPECT_EQ(store_.row(id).record.order.failure_code(), c.failure_code) << c.name;
  if (c.payment_after != payment::v1::PAYMENT_STATE_UNSPECIFIED) {
    ASSERT_NE(world_.PaymentOf(id), nullptr);
    EXPECT_EQ(world_.PaymentOf(id)->state(), c.payment_after) << c.name;
  } else {
    EXPECT_EQ(world_.PaymentOf(id), nullptr) << c.name;
  }
  EXPECT_EQ(world_.ReservationState(id), c.reservation_after) << c.name;
  EXPECT_EQ(world_.Stock(kKnife), c.expected == OrderStep::kPaid ? 8 : 10) << c.name;
  if (c.expected == OrderStep::kPaid) {
    EXPECT_EQ(store_.row(id).record.order.payment_id(), world_.PaymentOf(id)->id());
  }
}

constexpr auto kNone = payment::v1::PAYMENT_STATE_UNSPECIFIED;
constexpr auto kAuthorized = payment::v1::PAYMENT_STATE_AUTHORIZED;
constexpr auto kCaptured = payment::v1::PAYMENT_STATE_CAPTURED;
constexpr auto kDeclined = payment::v1::PAYMENT_STATE_DECLINED;
constexpr auto kVoided = payment::v1::PAYMENT_STATE_VOIDED;
constexpr auto kRefunded = payment::v1::PAYMENT_STATE_REFUNDED;

INSTANTIATE_TEST_SUITE_P(
    CrashPoints, OrderSagaResolveTest,
    ::testing::Values(CrashCase{"priced", OrderStep::kPriced, kNone, false, OrderStep::kFailed,
                                "checkout_interrupted", kNone, "released"},
                      CrashCase{"reserved, no payment", OrderStep::kReserved, kNone, false,
                                OrderStep::kFailed, "checkout_interrupted", kNone, "released"},
                      CrashCase{"reserved, declined", OrderStep::kReserved, kDeclined, false,
                                OrderStep::kFailed, "payment_declined", kDeclined, "released"},
                      CrashCase{"reserved, authorized", OrderStep::kReserved, kAuthorized, false,
                                OrderStep::kFailed, "checkout_interrupted", kVoided, "released"},
                      CrashCase{"authorized", OrderStep::kAuthorized, kAuthorized, false,
                                OrderStep::kFailed, "checkout_interrupted", kVoided, "released"},
                      CrashCase{"authorized, voided", OrderStep::kAuthorized, kVoided, false,
                                OrderStep::kFailed, "checkout_interrupted", kVoided, "released"},
                      CrashCase{"reserved, captured", OrderStep::kReserved, kCaptured, false,
                                OrderStep::kPaid, "", kCaptured, "committed"},
                      CrashCase{"authorized, captured", OrderStep::kAuthorized, kCaptured, false,
                                OrderStep::kPaid, "", kCaptured, "committed"},
                      CrashCase{"captured", OrderStep::kCaptured, kCaptured, false,
                                OrderStep::kPaid, "", kCaptured, "committed"},
                      CrashCase{"captured, reservation expired", OrderStep::kCaptured, kCaptured,
                                true, OrderStep::kFailed, "reservation_expired", kRefunded,
                                "expired"},
                      CrashCase{"captured, already refunded", OrderStep::kCaptured, kRefunded,
                                false, OrderStep::kFailed, "checkout_interrupted", kRefunded,
                                "released"}));

TEST_F(OrderSagaTest, ResolutionWaitsWhileADependencyIsDown) {
  const std::string id = NewUuid();
  world_.reservations[id] = World::Reservation{"held", {{kKnife, 1}}};
  OrderRecord record;
  record.order.set_id(id);
  record.order.set_user_id(kUser);
  record.idempotency_key = "k";
  record.request_fingerprint = "fp";
  record.step = OrderStep::kReserved;
  store_.PutAbandoned(record, absl::Minutes(1));
  world_.Fail("GetPayment", absl::UnavailableError("payment down"));
  auto claimed = store_.ClaimStalled("recovery", absl::Seconds(30), 10);
  Resolution r = saga().Resolve(claimed->front(), "recovery", Driver::kRecovery);
  EXPECT_EQ(r.record.step, OrderStep::kReserved);
  EXPECT_EQ(r.pending_cause.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(world_.ReservationState(id), "held");
  // Its lease was given up: the next pass takes it at once, and finishes it.
  claimed = store_.ClaimStalled("recovery-2", absl::Seconds(30), 10);
  ASSERT_EQ(claimed->size(), 1u);
  r = saga().Resolve(claimed->front(), "recovery-2", Driver::kRecovery);
  EXPECT_EQ(r.record.step, OrderStep::kFailed);
}

}  // namespace
}  // namespace mercato::checkout
