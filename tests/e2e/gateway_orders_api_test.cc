// Black-box: the order lifecycle's HTTP surface of the real gateway (issue #14), over every
// service behind it: the order's JSON carries status, timeline, cancellable and refunded;
// POST /api/v1/orders/{id}/cancel and POST /api/v1/admin/orders/{id}/refunds refuse callers
// without the right token or role and malformed requests with the documented 401 / 403 / 400
// before anything reaches the checkout service. (What the checkout service does with a valid
// cancel or refund is checkout's own e2e tests' to check.)
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;

class GatewayOrdersApiTest : public ShopTest<GatewayOrdersApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .database_prefix = "gateway_orders_e2e"};
  }

 protected:
  // A paid order of `shopper`'s: its id.
  static std::string PaidOrder(const Shopper& shopper) {
    static const std::string product = admin_->CreateProduct("Teapot", 2400, 1000);
    HttpResult added = AddToCart(port(), shopper, product, 1);
    EXPECT_EQ(added.status, 200) << added.body;
    HttpResult paid = Checkout(port(), shopper, NewUuid(), CheckoutBody());
    EXPECT_EQ(paid.status, 201) << paid.body;
    return paid.json.value("id", "");
  }

  static HttpResult Refund(const std::string& order_id, const std::string& body,
                           std::map<std::string, std::string> headers) {
    return Call(port(), "POST", "/api/v1/admin/orders/" + order_id + "/refunds", body,
                std::move(headers));
  }
};

// The order as GET /api/v1/orders/{id} and the list render it, whatever state it is in.
void ExpectLifecycleFields(const json& order) {
  static const std::set<std::string> kStatuses = {
      "pending",   "paid",       "failed",    "fulfilling", "shipped",
      "delivered", "cancelling", "cancelled", "refunded",   "partially_refunded"};
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(kStatuses.count(order["status"].get<std::string>())) << order.dump();
  ASSERT_TRUE(order["timeline"].is_array()) << order.dump();
  for (const json& entry : order["timeline"]) {
    EXPECT_TRUE(kStatuses.count(entry["status"].get<std::string>())) << entry.dump();
    EXPECT_TRUE(std::regex_match(entry["at"].get<std::string>(), kTimestamp)) << entry.dump();
  }
  EXPECT_TRUE(order["cancellable"].is_boolean()) << order.dump();
  EXPECT_TRUE(std::regex_match(order["created_at"].get<std::string>(), kTimestamp));
}

TEST_F(GatewayOrdersApiTest, AnOrderCarriesItsTimelineCancellableAndRefunded) {
  Shopper s;
  const std::string id = PaidOrder(s);
  ASSERT_FALSE(id.empty());
  HttpResult got = Call(port(), "GET", "/api/v1/orders/" + id, "", s.Auth());
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json["status"], "paid");
  ExpectLifecycleFields(got.json);
  EXPECT_EQ(got.json["refunded"], json::parse(R"({"amount":0,"currency":"USD"})"));
  HttpResult list = Call(port(), "GET", "/api/v1/orders", "", s.Auth());
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["orders"].size(), 1u);
  ExpectLifecycleFields(list.json["orders"][0]);
  EXPECT_EQ(list.json["orders"][0]["refunded"], got.json["refunded"]);
}

TEST_F(GatewayOrdersApiTest, CancelNeedsASignedInShopperAndNoBody) {
  Shopper s;
  const std::string id = PaidOrder(s);
  const std::string target = "/api/v1/orders/" + id + "/cancel";
  HttpResult anonymous = Call(port(), "POST", target, "", {});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(ErrorCode(anonymous), "authentication_required");
  HttpResult with_body = Call(port(), "POST", target, R"({"reason":"changed my mind"})", s.Auth());
  EXPECT_EQ(with_body.status, 400);
  EXPECT_EQ(ErrorCode(with_body), "unknown_field");
  HttpResult not_json = Call(port(), "POST", target, "[", s.Auth());
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(ErrorCode(not_json), "invalid_json");
  // Nothing of that reached the order.
  HttpResult got = Call(port(), "GET", "/api/v1/orders/" + id, "", s.Auth());
  EXPECT_EQ(got.json["status"], "paid");
}

TEST_F(GatewayOrdersApiTest, RefundIsForAdminsOnly) {
  Shopper s;
  const std::string id = PaidOrder(s);
  HttpResult anonymous = Refund(id, "{}", {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(ErrorCode(anonymous), "authentication_required");
  auto headers = s.Auth();
  headers["Idempotency-Key"] = "k1";
  HttpResult shopper = Refund(id, "{}", headers);
  EXPECT_EQ(shopper.status, 403);
  EXPECT_EQ(ErrorCode(shopper), "permission_denied");
}

TEST_F(GatewayOrdersApiTest, RefundNeedsAKeyAndAValidBodyNamingTheBadField) {
  Shopper s;
  const std::string id = PaidOrder(s);
  const std::map<std::string, std::string> admin = {
      {"Authorization", "Bearer " + MintToken(NewUuid(), "admin")}};
  HttpResult no_key = Refund(id, "{}", admin);
  EXPECT_EQ(no_key.status, 400);
  EXPECT_EQ(ErrorCode(no_key), "idempotency_key_required");
  auto keyed = admin;
  keyed["Idempotency-Key"] = "has spaces";
  EXPECT_EQ(ErrorCode(Refund(id, "{}", keyed)), "invalid_idempotency_key");
  keyed["Idempotency-Key"] = NewUuid();

  struct Bad {
    std::string body, code, field;
  };
  json hundred_and_one = json::array();
  for (int i = 0; i < 101; ++i) {
    hundred_and_one.push_back({{"product_id", "p" + std::to_string(i)}, {"quantity", 1}});
  }
  const Bad bad[] = {
      {"nope", "invalid_json", ""},
      {R"({"lines":[{"product_id":"p","quantity":0}]})", "invalid_field", "lines[0].quantity"},
      {R"({"lines":[{"quantity":1}]})", "missing_field", "lines[0].product_id"},
      {json{{"lines", hundred_and_one}}.dump(), "invalid_field", "'lines'"},
      {R"({"amount":{"amount":100,"currency":"usd"}})", "invalid_field", "amount.currency"},
      {R"({"amount":{"amount":0,"currency":"USD"}})", "invalid_field", "amount.amount"},
      {R"({"lines":[{"product_id":"p","quantity":1}],"amount":{"amount":1,"currency":"USD"}})",
       "invalid_field", "'lines' or 'amount'"},
      {json{{"reason", std::string(501, 'r')}}.dump(), "invalid_field", "'reason'"},
      {R"({"refund_all":true})", "unknown_field", "refund_all"},
  };
  for (const Bad& b : bad) {
    HttpResult r = Refund(id, b.body, keyed);
    EXPECT_EQ(r.status, 400) << b.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), b.code) << b.body;
    EXPECT_NE(r.json["error"]["message"].get<std::string>().find(b.field), std::string::npos)
        << b.body << " -> " << r.body;
  }
  HttpResult got = Call(port(), "GET", "/api/v1/orders/" + id, "", s.Auth());
  EXPECT_EQ(got.json["status"], "paid");
  EXPECT_EQ(got.json["refunded"]["amount"], 0);
}

}  // namespace
}  // namespace mercato::testing
