// Graceful degradation with the catalog down: order history, sign-up, sign-in and the
// profile keep working; browsing and the cart (whose lines are priced from the catalog on
// every read) answer 503 at once with Retry-After instead of hanging, and fail fast without
// a network call once the breakers in front of the catalog are open; everything recovers on
// its own when the catalog is back.
#include <gtest/gtest.h>

#include <thread>

#include "resilience_support.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace resilience;

class DegradationE2eTest : public SuiteTest<DegradationE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .database_prefix = "resilience_degraded"};
  }

 protected:
};

TEST_F(DegradationE2eTest, CatalogDownOrderHistoryAndSignInWorkBrowseAndCartFailFast) {
  CatalogAdmin admin(suite_->address("catalog"));
  const std::string product = admin.CreateProduct("Degraded wok", 3000, 50);
  Shopper shopper;
  ASSERT_EQ(AddToCart(port(), shopper, product, 1).status, 200);
  HttpResult order = Checkout(port(), shopper, NewUuid(), CheckoutBody());
  ASSERT_EQ(order.status, 201) << order.body;
  const std::string order_id = order.json["id"];
  ASSERT_EQ(AddToCart(port(), shopper, product, 2).status, 200);

  suite_->Kill("catalog");

  // Order history comes from checkout alone.
  HttpResult orders = Call(port(), "GET", "/api/v1/orders", "", shopper.Auth());
  EXPECT_EQ(orders.status, 200) << orders.body;
  ASSERT_EQ(orders.json["orders"].size(), 1u);
  EXPECT_EQ(orders.json["orders"][0]["id"], order_id);
  EXPECT_EQ(Call(port(), "GET", "/api/v1/orders/" + order_id, "", shopper.Auth()).status, 200);

  // Accounts come from the user service alone.
  json account = json::object();
  account["email"] = "degraded-" + RandomHex(4) + "@example.com";
  account["password"] = "a sturdy passphrase 42";
  account["name"] = "Dee Graded";
  HttpResult registered = Call(port(), "POST", "/api/v1/users", account.dump(), {});
  EXPECT_EQ(registered.status, 201) << registered.body;
  json login = json::object();
  login["email"] = account["email"];
  login["password"] = account["password"];
  HttpResult session = Call(port(), "POST", "/api/v1/sessions", login.dump(), {});
  ASSERT_EQ(session.status, 200) << session.body;
  const std::string token = session.json["access_token"];
  EXPECT_EQ(Call(port(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer " + token}}).status,
            200);

  // The cart cannot be priced: 503 catalog_unavailable, promptly, with Retry-After; its
  // contents are kept.
  std::vector<double> cart_ms, browse_ms;
  for (int i = 0; i < 30; ++i) {
    auto start = SteadyClock::now();
    HttpResult cart = Call(port(), "GET", "/api/v1/cart", "", shopper.Auth());
    cart_ms.push_back(MillisSince(start));
    EXPECT_EQ(cart.status, 503) << cart.body;
    EXPECT_EQ(ErrorCode(cart), "catalog_unavailable") << cart.body;
    EXPECT_FALSE(cart.Header("retry-after").empty());
    start = SteadyClock::now();
    HttpResult browse = Call(port(), "GET", "/api/v1/products/" + product, "", {});
    browse_ms.push_back(MillisSince(start));
    EXPECT_EQ(browse.status, 503) << browse.body;
    EXPECT_EQ(ErrorCode(browse), "service_unavailable") << browse.body;
    EXPECT_FALSE(browse.Header("retry-after").empty());
  }
  std::printf("catalog down: cart p99 %.1f ms, browse p99 %.1f ms\n", Percentile(cart_ms, 0.99),
              Percentile(browse_ms, 0.99));
  EXPECT_LT(Percentile(cart_ms, 1.0), 1000);
  EXPECT_LT(Percentile(browse_ms, 1.0), 1000);
  // 30 failed calls each: the gateway's and the cart's breakers in front of the catalog are
  // open; the gateway's breakers in front of cart and user are not (they answered).
  EXPECT_EQ(MetricValue(suite_->admin_port("gateway"),
                        "mercato_circuit_breaker_state{backend=\"catalog\"}"),
            1);
  EXPECT_EQ(
      MetricValue(suite_->admin_port("cart"), "mercato_circuit_breaker_state{backend=\"catalog\"}"),
      1);
  EXPECT_EQ(
      MetricValue(suite_->admin_port("gateway"), "mercato_circuit_breaker_state{backend=\"cart\"}"),
      0);
  EXPECT_EQ(MetricValue(suite_->admin_port("gateway"),
                        "mercato_circuit_breaker_state{backend=\"checkout\"}"),
            0);

  // The catalog comes back: within a sleep window and a trial everything works again, and
  // the cart still holds its lines.
  ASSERT_TRUE(suite_->StartService("catalog").ok());
  const auto start = SteadyClock::now();
  HttpResult cart;
  while (SteadyClock::now() - start < std::chrono::seconds(15)) {
    cart = Call(port(), "GET", "/api/v1/cart", "", shopper.Auth());
    if (cart.status == 200 &&
        Call(port(), "GET", "/api/v1/products/" + product, "", {}).status == 200) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(cart.status, 200) << cart.body;
  ASSERT_EQ(cart.json["items"].size(), 1u);
  EXPECT_EQ(cart.json["items"][0]["quantity"], 2);
}

}  // namespace
}  // namespace mercato::testing
