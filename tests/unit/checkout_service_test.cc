// Unit tests of the checkout service's handlers (checkout_service.h) over the in-memory store
// and simulated dependencies: who may see an order, the order list and its page tokens, and
// the stalled-order recovery loop.
#include "checkout/checkout_service.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "checkout/order_recovery.h"
#include "checkout_fake_store.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "support/checkout_world.h"

namespace mercato::checkout {
namespace {

constexpr char kKnife[] = "11111111-1111-4111-8111-111111111111";

void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& error_code) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ErrorCodeOf(status), error_code) << status;
}

CallContext As(const std::string& user_id) {
  CallContext c;
  c.request_id = "req";
  c.caller = "gateway";
  c.user_id = user_id;
  return c;
}

class CheckoutServiceTest : public ::testing::Test {
 protected:
  CheckoutServiceTest()
      : metrics_(registry_),
        executor_("checkout-test", 1, 1),
        saga_(store_, world_.catalog, world_.cart, world_.payment, metrics_, SagaOptions{}),
        lifecycle_(store_, world_.catalog, world_.cart, world_.payment, LifecycleOptions{}),
        service_(store_, saga_, lifecycle_, executor_) {
    world_.AddProduct(kKnife, "Chef knife", 1000, 1000);
  }

  // Places an order for `user` with `quantity` knives.
  std::string Order(const std::string& user, int quantity) {
    ScopedCallContext scope(As(user));
    world_.cart_lines = {{kKnife, quantity}};
    v1::PlaceOrderRequest request = NewOrderRequest();
    v1::Order order;
    absl::Status s = service_.DoPlaceOrder(request, &order);
    EXPECT_TRUE(s.ok()) << s;
    return order.id();
  }

  prometheus::Registry registry_;
  CheckoutMetrics metrics_;
  FakeCheckoutStore store_;
  World world_;
  BoundedExecutor executor_;
  OrderSaga saga_;
  OrderLifecycle lifecycle_;
  CheckoutService service_;
};

TEST_F(CheckoutServiceTest, EveryCallNeedsASignedInCaller) {
  ScopedCallContext scope(As(""));
  v1::Order order;
  v1::ListOrdersResponse list;
  EXPECT_EQ(service_.DoPlaceOrder(v1::PlaceOrderRequest(), &order).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_.DoGetOrder(v1::GetOrderRequest(), &order).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_.DoListOrders(v1::ListOrdersRequest(), &list).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_.DoCancelOrder(v1::CancelOrderRequest(), &order).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_.DoRefundOrder(v1::RefundOrderRequest(), &order).code(),
            absl::StatusCode::kUnauthenticated);
}

// The fulfillment service's token is good for RecordFulfillment only, and the gateway's for
// everything else; a customer's access token is no admin's.
TEST_F(CheckoutServiceTest, EachCallerGetsItsOwnRpcsOnly) {
  v1::Order order;
  v1::ListOrdersResponse list;
  CallContext fulfillment = As("ann");
  fulfillment.caller = "fulfillment";
  {
    ScopedCallContext scope(fulfillment);
    EXPECT_EQ(service_.DoPlaceOrder(NewOrderRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(service_.DoGetOrder(v1::GetOrderRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(service_.DoListOrders(v1::ListOrdersRequest(), &list).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(service_.DoCancelOrder(v1::CancelOrderRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(service_.DoRefundOrder(v1::RefundOrderRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
  }
  {
    ScopedCallContext scope(As("ann"));
    EXPECT_EQ(service_.DoRecordFulfillment(v1::RecordFulfillmentRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
    // A customer is not an admin.
    EXPECT_EQ(service_.DoRefundOrder(v1::RefundOrderRequest(), &order).code(),
              absl::StatusCode::kPermissionDenied);
  }
  {
    // Past the caller check, the fake store answers: the request reached the lifecycle.
    ScopedCallContext scope(fulfillment);
    v1::RecordFulfillmentRequest request;
    request.set_order_id(NewUuid());
    request.set_stage(v1::FULFILLMENT_STAGE_FULFILLING);
    EXPECT_EQ(service_.DoRecordFulfillment(request, &order).code(),
              absl::StatusCode::kUnimplemented);
  }
}

TEST_F(CheckoutServiceTest, AnOrderIsVisibleToItsOwnerOnly) {
  const std::string id = Order("ann", 1);
  v1::GetOrderRequest request;
  request.set_id(id);
  v1::Order order;
  {
    ScopedCallContext scope(As("ann"));
    ASSERT_TRUE(service_.DoGetOrder(request, &order).ok());
    EXPECT_EQ(order.id(), id);
    EXPECT_EQ(order.status(), v1::ORDER_STATUS_PAID);
  }
  {
    ScopedCallContext scope(As("bob"));
    ExpectError(service_.DoGetOrder(request, &order), absl::StatusCode::kNotFound,
                "order_not_found");
    request.set_id(NewUuid());
    ExpectError(service_.DoGetOrder(request, &order), absl::StatusCode::kNotFound,
                "order_not_found");
  }
}

TEST_F(CheckoutServiceTest, ListIsNewestFirstWithPageTokens) {
  std::vector<std::string> ids;
  for (int i = 1; i <= 5; ++i) ids.push_back(Order("ann", i));
  Order("bob", 1);
  ScopedCallContext scope(As("ann"));
  v1::ListOrdersRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListOrdersResponse response;
    ASSERT_TRUE(service_.DoListOrders(request, &response).ok());
    for (const auto& o : response.orders()) {
      seen.push_back(o.id());
      EXPECT_EQ(o.user_id(), "ann");
      EXPECT_EQ(o.items_size(), 1);
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));

  v1::ListOrdersResponse all;
  ASSERT_TRUE(service_.DoListOrders(v1::ListOrdersRequest(), &all).ok());
  EXPECT_EQ(all.orders_size(), 5);
  EXPECT_TRUE(all.next_page_token().empty());

  v1::ListOrdersRequest bad;
  bad.set_page_size(101);
  ExpectError(service_.DoListOrders(bad, &all), absl::StatusCode::kInvalidArgument,
              "invalid_page_size");
  bad.set_page_size(-1);
  ExpectError(service_.DoListOrders(bad, &all), absl::StatusCode::kInvalidArgument,
              "invalid_page_size");
  bad.set_page_size(10);
  bad.set_page_token("not-a-token");
  ExpectError(service_.DoListOrders(bad, &all), absl::StatusCode::kInvalidArgument,
              "invalid_page_token");
}

TEST(PageTokenTest, RoundTripsAndRefusesForgeries) {
  for (int64_t seq : {int64_t{1}, int64_t{42}, int64_t{9'000'000'000'000}}) {
    const std::string token = EncodePageToken(seq);
    EXPECT_EQ(DecodePageToken(token), seq);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
  }
  EXPECT_EQ(DecodePageToken(""), std::nullopt);
  EXPECT_EQ(DecodePageToken("garbage!"), std::nullopt);
  EXPECT_EQ(DecodePageToken(std::string(100, 'A')), std::nullopt);
  EXPECT_EQ(DecodePageToken(EncodePageToken(0)), std::nullopt);
  EXPECT_EQ(DecodePageToken(EncodePageToken(-3)), std::nullopt);
}

// ---- recovery ----

TEST_F(CheckoutServiceTest, RecoveryFinishesAbandonedOrdersAndLeavesLeasedOnesAlone) {
  // Two orders a crashed process left after capturing, one still held by a live request.
  std::vector<std::string> abandoned;
  for (int i = 0; i < 3; ++i) {
    const std::string id = NewUuid();
    world_.reservations[id] = World::Reservation{"held", {{kKnife, 1}}};
    payment::v1::Payment p;
    p.set_id(NewUuid());
    p.set_idempotency_key("checkout-order:" + id);
    p.set_state(payment::v1::PAYMENT_STATE_CAPTURED);
    world_.payments[p.idempotency_key()] = p;
    OrderRecord r;
    r.order.set_id(id);
    r.order.set_user_id("ann");
    r.idempotency_key = id;
    r.request_fingerprint = "fp";
    r.step = OrderStep::kCaptured;
    if (i < 2) {
      store_.PutAbandoned(r, absl::Minutes(1));
      abandoned.push_back(id);
    } else {
      ASSERT_TRUE(store_.CreateOrder(r, "live-request", absl::Seconds(30)).ok());
    }
  }
  StalledOrderRecovery recovery(
      store_, saga_,
      {.interval = std::chrono::milliseconds(10), .lease = absl::Seconds(30), .batch_size = 1});
  auto finished = recovery.RunOnce();
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(*finished, 2);
  for (const auto& id : abandoned) {
    EXPECT_EQ(store_.row(id).record.step, OrderStep::kPaid);
    EXPECT_EQ(store_.row(id).recovery_attempts, 1);
    EXPECT_EQ(world_.ReservationState(id), "committed");
  }
  EXPECT_EQ(world_.Count("CommitReservation"), 2);
  // Nothing left to do.
  EXPECT_EQ(*recovery.RunOnce(), 0);
}

TEST_F(CheckoutServiceTest, RecoveryThreadRunsAtStartAndStopsPromptly) {
  const std::string id = NewUuid();
  world_.reservations[id] = World::Reservation{"held", {{kKnife, 1}}};
  OrderRecord r;
  r.order.set_id(id);
  r.order.set_user_id("ann");
  r.idempotency_key = id;
  r.request_fingerprint = "fp";
  r.step = OrderStep::kPriced;
  store_.PutAbandoned(r, absl::Minutes(1));
  StalledOrderRecovery recovery(store_, saga_,
                                {.interval = std::chrono::hours(1), .lease = absl::Seconds(30)});
  recovery.Start();
  for (int i = 0; i < 200 && store_.row(id).record.step != OrderStep::kFailed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto start = std::chrono::steady_clock::now();
  recovery.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(store_.row(id).record.step, OrderStep::kFailed);
  EXPECT_EQ(world_.ReservationState(id), "released");
}

}  // namespace
}  // namespace mercato::checkout
