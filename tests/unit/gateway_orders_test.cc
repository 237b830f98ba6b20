// The order lifecycle in the gateway (issue #14): the order's JSON (statuses, timeline,
// cancellable, refunded), the strict reading of cancel and refund requests, and the cancel and
// refund routes over a gMock checkout stub (who may call them, what reaches the checkout
// service, how its errors become HTTP).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/status.h"
#include "gateway/json_codec.h"
#include "gateway/order_requests.h"
#include "gateway/routes.h"
#include "mercato/checkout/v1/checkout_mock.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/identity.h"
#include "support/route_call.h"

namespace mercato::gateway {
namespace {

using checkout::v1::Order;
using ::testing::_;
using ::testing::DoAll;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::SaveArg;
using ::testing::SetArgPointee;

// ---- rendering --------------------------------------------------------------------------

common::v1::Money Usd(int64_t amount) {
  common::v1::Money m;
  m.set_amount(amount);
  m.set_currency("USD");
  return m;
}

Order ShippedAndPartlyRefunded() {
  Order o;
  o.set_id("o-1");
  o.set_status(checkout::v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  *o.mutable_total() = Usd(5000);
  o.set_created_at_unix_ms(1'765'065'600'000);  // 2025-12-07T00:00:00Z
  auto* paid = o.add_timeline();
  paid->set_status(checkout::v1::ORDER_STATUS_PAID);
  paid->set_at_unix_ms(1'765'065'600'123);
  auto* shipped = o.add_timeline();
  shipped->set_status(checkout::v1::ORDER_STATUS_SHIPPED);
  shipped->set_at_unix_ms(1'765'152'000'000);
  shipped->set_carrier("UPS");
  shipped->set_tracking_number("1Z999");
  auto* refund = o.add_timeline();
  refund->set_status(checkout::v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  refund->set_at_unix_ms(1'765'238'400'000);
  *refund->mutable_amount() = Usd(1200);
  o.set_cancellable(false);
  *o.mutable_refunded() = Usd(1200);
  return o;
}

TEST(OrderJsonTest, TimelineCancellableAndRefundedAreRendered) {
  const Json out = OrderJson(ShippedAndPartlyRefunded(), /*with_history=*/false);
  EXPECT_EQ(out["status"], "partially_refunded");
  EXPECT_EQ(out["created_at"], "2025-12-07T00:00:00.000Z");
  EXPECT_EQ(out["timeline"], Json::parse(R"([
      {"status":"paid","at":"2025-12-07T00:00:00.123Z"},
      {"status":"shipped","at":"2025-12-08T00:00:00.000Z","carrier":"UPS",
       "tracking_number":"1Z999"},
      {"status":"partially_refunded","at":"2025-12-09T00:00:00.000Z",
       "amount":{"amount":1200,"currency":"USD"}}])"));
  EXPECT_EQ(out["cancellable"], false);
  EXPECT_EQ(out["refunded"], Json::parse(R"({"amount":1200,"currency":"USD"})"));
  EXPECT_FALSE(out.contains("history"));
  EXPECT_TRUE(OrderJson(ShippedAndPartlyRefunded(), true)["history"].is_array());
}

TEST(OrderJsonTest, NothingRefundedIsZeroInTheOrdersCurrency) {
  Order o;
  o.set_status(checkout::v1::ORDER_STATUS_PAID);
  *o.mutable_total() = Usd(999);
  o.set_cancellable(true);
  const Json out = OrderJson(o, false);
  EXPECT_EQ(out["refunded"], Json::parse(R"({"amount":0,"currency":"USD"})"));
  EXPECT_EQ(out["cancellable"], true);
  EXPECT_EQ(out["timeline"], Json::array());
}

TEST(OrderJsonTest, EveryStatusHasItsLowerCaseName) {
  using checkout::v1::OrderStatus;
  const std::pair<OrderStatus, const char*> names[] = {
      {checkout::v1::ORDER_STATUS_PENDING, "pending"},
      {checkout::v1::ORDER_STATUS_PAID, "paid"},
      {checkout::v1::ORDER_STATUS_FAILED, "failed"},
      {checkout::v1::ORDER_STATUS_FULFILLING, "fulfilling"},
      {checkout::v1::ORDER_STATUS_SHIPPED, "shipped"},
      {checkout::v1::ORDER_STATUS_DELIVERED, "delivered"},
      {checkout::v1::ORDER_STATUS_CANCELLING, "cancelling"},
      {checkout::v1::ORDER_STATUS_CANCELLED, "cancelled"},
      {checkout::v1::ORDER_STATUS_REFUNDED, "refunded"},
      {checkout::v1::ORDER_STATUS_PARTIALLY_REFUNDED, "partially_refunded"},
      {checkout::v1::ORDER_STATUS_UNSPECIFIED, "unknown"},
  };
  for (const auto& [status, name] : names) EXPECT_STREQ(OrderStatusName(status), name);
}

// ---- request validation -----------------------------------------------------------------

absl::StatusOr<checkout::v1::RefundOrderRequest> Refund(const char* body) {
  return ParseRefundBody(Json::parse(body));
}

void ExpectBad(const absl::Status& status, const std::string& code, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(ErrorCodeOf(status), code) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(field)) << status;
}

TEST(RefundBodyTest, LinesAmountOrEverything) {
  auto lines = Refund(R"({"lines":[{"product_id":"p1","quantity":2},
                                   {"product_id":"p2","quantity":1}],"reason":"broken"})");
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->lines_size(), 2);
  EXPECT_EQ(lines->lines(0).product_id(), "p1");
  EXPECT_EQ(lines->lines(0).quantity(), 2);
  EXPECT_EQ(lines->lines(1).product_id(), "p2");
  EXPECT_FALSE(lines->has_amount());
  EXPECT_EQ(lines->reason(), "broken");

  auto amount = Refund(R"({"amount":{"amount":1500,"currency":"EUR"}})");
  ASSERT_TRUE(amount.ok()) << amount.status();
  EXPECT_EQ(amount->amount().amount(), 1500);
  EXPECT_EQ(amount->amount().currency(), "EUR");
  EXPECT_EQ(amount->lines_size(), 0);

  auto everything = Refund("{}");
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->lines_size(), 0);
  EXPECT_FALSE(everything->has_amount());
  EXPECT_EQ(everything->reason(), "");
}

TEST(RefundBodyTest, BadBodiesNameTheField) {
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":1}],
                       "amount":{"amount":1,"currency":"USD"}})")
                .status(),
            "invalid_field", "'lines' or 'amount'");
  ExpectBad(Refund(R"({"note":"x"})").status(), "unknown_field", "note");
  ExpectBad(Refund(R"({"lines":[]})").status(), "invalid_field", "'lines'");
  ExpectBad(Refund(R"({"lines":{"product_id":"p"}})").status(), "invalid_field", "'lines'");
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":0}]})").status(), "invalid_field",
            "lines[0].quantity");
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":10001}]})").status(), "invalid_field",
            "lines[0].quantity");
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":1},{"quantity":1}]})").status(),
            "missing_field", "lines[1].product_id");
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":1,"price":3}]})").status(),
            "unknown_field", "lines[0].price");
  ExpectBad(Refund(R"({"lines":[{"product_id":"p","quantity":1},
                                {"product_id":"p","quantity":2}]})")
                .status(),
            "invalid_field", "lines[1].product_id");
  ExpectBad(Refund(R"({"amount":{"amount":0,"currency":"USD"}})").status(), "invalid_field",
            "amount.amount");
  ExpectBad(Refund(R"({"amount":{"amount":-5,"currency":"USD"}})").status(), "invalid_field",
            "amount.amount");
  ExpectBad(Refund(R"({"amount":{"amount":5,"currency":"usd"}})").status(), "invalid_field",
            "amount.currency");
  ExpectBad(Refund(R"({"amount":{"amount":5}})").status(), "missing_field", "amount.currency");
  ExpectBad(Refund(R"({"amount":"5.00"})").status(), "invalid_field", "'amount'");
  ExpectBad(Refund(R"({"reason":7})").status(), "invalid_field", "reason");
}

TEST(RefundBodyTest, ExplicitLimits) {
  Json lines = Json::array();
  for (int i = 0; i < 100; ++i) {
    lines.push_back({{"product_id", absl::StrCat("p", i)}, {"quantity", 1}});
  }
  EXPECT_TRUE(ParseRefundBody(Json{{"lines", lines}}).ok());
  lines.push_back({{"product_id", "p100"}, {"quantity", 1}});
  ExpectBad(ParseRefundBody(Json{{"lines", lines}}).status(), "invalid_field", "1 to 100 lines");

  EXPECT_TRUE(ParseRefundBody(Json{{"reason", std::string(500, 'x')}}).ok());
  // 500 characters of two bytes each are still 500 characters.
  std::string umlauts;
  for (int i = 0; i < 500; ++i) umlauts += "\xc3\xbc";
  EXPECT_TRUE(ParseRefundBody(Json{{"reason", umlauts}}).ok());
  ExpectBad(ParseRefundBody(Json{{"reason", std::string(501, 'x')}}).status(), "invalid_field",
            "'reason' must be at most 500 characters");

  const Json long_id = {{"lines", {{{"product_id", std::string(65, 'a')}, {"quantity", 1}}}}};
  ExpectBad(ParseRefundBody(long_id).status(), "invalid_field", "lines[0].product_id");
}

TEST(IdempotencyKeyTest, SameRulesAsCheckout) {
  EXPECT_TRUE(CheckIdempotencyKey("0f8fad5b-d9cb-469f-a165-70867728950e").ok());
  EXPECT_TRUE(CheckIdempotencyKey(std::string(255, 'k')).ok());
  EXPECT_EQ(ErrorCodeOf(CheckIdempotencyKey("")), "idempotency_key_required");
  EXPECT_EQ(ErrorCodeOf(CheckIdempotencyKey(std::string(256, 'k'))), "invalid_idempotency_key");
  EXPECT_EQ(ErrorCodeOf(CheckIdempotencyKey("a b")), "invalid_idempotency_key");
  EXPECT_EQ(HttpStatusOf(CheckIdempotencyKey("")), 400);
}

TEST(EmptyBodyTest, NothingOrTheEmptyObject) {
  HttpRequest r;
  for (const char* body : {"", " \r\n", "{}", " { } "}) {
    r.body = body;
    EXPECT_TRUE(CheckEmptyBody(r).ok()) << body;
  }
  r.body = R"({"reason":"x"})";
  EXPECT_EQ(ErrorCodeOf(CheckEmptyBody(r)), "unknown_field");
  r.body = "[]";
  EXPECT_EQ(ErrorCodeOf(CheckEmptyBody(r)), "invalid_json");
}

// ---- the routes over a checkout stub ----------------------------------------------------

// The checkout stub's async() forwards to the mocked blocking methods, at once and on the
// calling thread (as support/mock_async.h does for the user and cart stubs; kept here, since
// that header's user stub follows the user service's contract, which moves separately).
#define MERCATO_FORWARD_CHECKOUT(Method, Request, Response)                                        \
  void Method(grpc::ClientContext* ctx, const checkout::v1::Request* request,                      \
              checkout::v1::Response* response, std::function<void(grpc::Status)> done) override { \
    done(blocking_->Method(ctx, *request, response));                                              \
  }                                                                                                \
  void Method(grpc::ClientContext*, const checkout::v1::Request*, checkout::v1::Response*,         \
              grpc::ClientUnaryReactor*) override {                                                \
    std::abort();                                                                                  \
  }

class CheckoutStubWithAsync : public checkout::v1::MockCheckoutServiceStub {
 public:
  async_interface* async() override { return &async_; }

 private:
  class Async final : public async_interface {
   public:
    explicit Async(checkout::v1::MockCheckoutServiceStub* blocking) : blocking_(blocking) {}
    MERCATO_FORWARD_CHECKOUT(PlaceOrder, PlaceOrderRequest, Order)
    MERCATO_FORWARD_CHECKOUT(GetOrder, GetOrderRequest, Order)
    MERCATO_FORWARD_CHECKOUT(ListOrders, ListOrdersRequest, ListOrdersResponse)
    MERCATO_FORWARD_CHECKOUT(CancelOrder, CancelOrderRequest, Order)
    MERCATO_FORWARD_CHECKOUT(RefundOrder, RefundOrderRequest, Order)
    MERCATO_FORWARD_CHECKOUT(RecordFulfillment, RecordFulfillmentRequest, Order)

   private:
    checkout::v1::MockCheckoutServiceStub* blocking_;
  } async_{this};
};

#undef MERCATO_FORWARD_CHECKOUT

class OrderRoutesTest : public ::testing::Test {
 protected:
  OrderRoutesTest() {
    auto stub = std::make_unique<NiceMock<CheckoutStubWithAsync>>();
    checkout_ = stub.get();
    backends_.checkout = std::move(stub);
    config_.identity.service_key = testing::TestKey("gateway");
    RegisterAdminRoutes(router_, backends_, config_);
    RegisterCheckoutRoutes(router_, backends_, config_);
  }

  HttpResponse Call(const std::string& path, const std::string& body, const CallContext& caller,
                    const std::string& key = "") {
    HttpRequest request;
    request.method = http::verb::post;
    request.path = path;
    request.body = body;
    if (!key.empty()) request.headers.set("Idempotency-Key", key);
    ScopedCallContext scope(caller);
    return testing::CallRoute(router_, std::move(request));
  }

  GatewayConfig config_;
  Backends backends_;
  Router router_;
  checkout::v1::MockCheckoutServiceStub* checkout_ = nullptr;
};

const CallContext kShopper{.request_id = "r1", .user_id = "u-1", .user_role = "customer"};
const CallContext kAdmin{.request_id = "r2", .user_id = "u-admin", .user_role = "admin"};

Json BodyJson(const HttpResponse& r) { return Json::parse(r.body); }

TEST_F(OrderRoutesTest, BothRoutesNeedASignedInCaller) {
  for (const char* path : {"/api/v1/orders/o-1/cancel", "/api/v1/admin/orders/o-1/refunds"}) {
    auto match = router_.Find(http::verb::post, SplitPath(path));
    ASSERT_EQ(match.kind, Router::Match::kFound) << path;
    EXPECT_EQ(match.route->auth, AuthPolicy::kRequired) << path;
  }
}

TEST_F(OrderRoutesTest, CancelSendsTheIdAndAnswersTheOrder) {
  checkout::v1::CancelOrderRequest sent;
  Order cancelled;
  cancelled.set_id("o-1");
  cancelled.set_status(checkout::v1::ORDER_STATUS_CANCELLED);
  EXPECT_CALL(*checkout_, CancelOrder(_, _, _))
      .WillOnce(DoAll(SaveArg<1>(&sent), SetArgPointee<2>(cancelled), Return(grpc::Status::OK)));
  HttpResponse r = Call("/api/v1/orders/o-1/cancel", "", kShopper);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(sent.id(), "o-1");
  EXPECT_EQ(BodyJson(r)["status"], "cancelled");
  EXPECT_TRUE(BodyJson(r)["history"].is_array());
  EXPECT_EQ(BodyJson(r)["cancellable"], false);
}

TEST_F(OrderRoutesTest, CancelErrorsMapToHttp) {
  EXPECT_CALL(*checkout_, CancelOrder(_, _, _))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                                  "order_not_cancellable", "it has shipped"))))
      .WillOnce(Return(ToGrpcStatus(
          ErrorWithCode(absl::StatusCode::kNotFound, "order_not_found", "no such order"))));
  HttpResponse shipped = Call("/api/v1/orders/o-1/cancel", "{}", kShopper);
  EXPECT_EQ(shipped.status, 409u);
  EXPECT_EQ(BodyJson(shipped)["error"]["code"], "order_not_cancellable");
  EXPECT_EQ(BodyJson(shipped)["error"]["request_id"], "r1");
  HttpResponse unknown = Call("/api/v1/orders/o-2/cancel", "", kShopper);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(BodyJson(unknown)["error"]["code"], "order_not_found");
}

TEST_F(OrderRoutesTest, CancelWithABodyIsRefusedBeforeCheckout) {
  EXPECT_CALL(*checkout_, CancelOrder(_, _, _)).Times(0);
  HttpResponse r = Call("/api/v1/orders/o-1/cancel", R"({"reason":"changed my mind"})", kShopper);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(BodyJson(r)["error"]["code"], "unknown_field");
  EXPECT_EQ(Call("/api/v1/orders/o-1/cancel", "nope", kShopper).status, 400u);
}

TEST_F(OrderRoutesTest, RefundIsForAdminsOnly) {
  EXPECT_CALL(*checkout_, RefundOrder(_, _, _)).Times(0);
  HttpResponse anonymous =
      Call("/api/v1/admin/orders/o-1/refunds", "{}", CallContext{.request_id = "r0"}, "k1");
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_EQ(BodyJson(anonymous)["error"]["code"], "authentication_required");
  HttpResponse shopper = Call("/api/v1/admin/orders/o-1/refunds", "{}", kShopper, "k1");
  EXPECT_EQ(shopper.status, 403u);
  EXPECT_EQ(BodyJson(shopper)["error"]["code"], "permission_denied");
}

TEST_F(OrderRoutesTest, RefundNeedsAnIdempotencyKeyAndAValidBody) {
  EXPECT_CALL(*checkout_, RefundOrder(_, _, _)).Times(0);
  HttpResponse no_key = Call("/api/v1/admin/orders/o-1/refunds", "{}", kAdmin);
  EXPECT_EQ(no_key.status, 400u);
  EXPECT_EQ(BodyJson(no_key)["error"]["code"], "idempotency_key_required");
  HttpResponse bad_key = Call("/api/v1/admin/orders/o-1/refunds", "{}", kAdmin, "a key");
  EXPECT_EQ(BodyJson(bad_key)["error"]["code"], "invalid_idempotency_key");
  HttpResponse bad_body = Call("/api/v1/admin/orders/o-1/refunds",
                               R"({"lines":[{"product_id":"p","quantity":-1}]})", kAdmin, "k1");
  EXPECT_EQ(bad_body.status, 400u);
  EXPECT_EQ(BodyJson(bad_body)["error"]["code"], "invalid_field");
  EXPECT_THAT(BodyJson(bad_body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("lines[0].quantity"));
  EXPECT_EQ(BodyJson(Call("/api/v1/admin/orders/o-1/refunds", "", kAdmin, "k1"))["error"]["code"],
            "invalid_json");
}

TEST_F(OrderRoutesTest, RefundSendsTheRequestAndAnswersTheOrder) {
  checkout::v1::RefundOrderRequest sent;
  Order refunded = ShippedAndPartlyRefunded();
  EXPECT_CALL(*checkout_, RefundOrder(_, _, _))
      .WillOnce(DoAll(SaveArg<1>(&sent), SetArgPointee<2>(refunded), Return(grpc::Status::OK)));
  HttpResponse r =
      Call("/api/v1/admin/orders/o-1/refunds",
           R"({"amount":{"amount":1200,"currency":"USD"},"reason":"late"})", kAdmin, "refund-1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(sent.order_id(), "o-1");
  EXPECT_EQ(sent.idempotency_key(), "refund-1");
  EXPECT_EQ(sent.amount().amount(), 1200);
  EXPECT_EQ(sent.reason(), "late");
  EXPECT_EQ(BodyJson(r)["status"], "partially_refunded");
  EXPECT_EQ(BodyJson(r)["refunded"], Json::parse(R"({"amount":1200,"currency":"USD"})"));
}

TEST_F(OrderRoutesTest, RefundErrorsMapToHttp) {
  EXPECT_CALL(*checkout_, RefundOrder(_, _, _))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                                  "refund_exceeds_capture", "too much"))))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                                  "order_not_refundable", "cancelled"))))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                                  "idempotency_key_reused", "other body"))));
  const std::string path = "/api/v1/admin/orders/o-1/refunds";
  HttpResponse exceeds = Call(path, "{}", kAdmin, "k1");
  EXPECT_EQ(exceeds.status, 409u);
  EXPECT_EQ(BodyJson(exceeds)["error"]["code"], "refund_exceeds_capture");
  HttpResponse not_refundable = Call(path, "{}", kAdmin, "k2");
  EXPECT_EQ(not_refundable.status, 409u);
  EXPECT_EQ(BodyJson(not_refundable)["error"]["code"], "order_not_refundable");
  // As for checkout: the one mapping (common/status.h) makes a reused key 422.
  HttpResponse reused = Call(path, "{}", kAdmin, "k1");
  EXPECT_EQ(reused.status, 422u);
  EXPECT_EQ(BodyJson(reused)["error"]["code"], "idempotency_key_reused");
}

}  // namespace
}  // namespace mercato::gateway
