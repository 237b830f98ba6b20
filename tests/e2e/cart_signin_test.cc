// Black-box: a guest cart merges into the shopper's cart when they sign in, through the real
// gateway, user, cart and catalog binaries (the sign-in route calls the cart's merge hook).
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "support/http_client.h"
#include "support/redis.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using Json = nlohmann::json;

constexpr char kPassword[] = "correct-horse-battery-9";
constexpr char kClearedCookie[] = "mercato_cart=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax";

// The mercato_cart value of a Set-Cookie header: "<cart id>.<signature>" (87 characters).
std::string CookieFromSetCookie(const HttpResult& r) {
  const std::string header = r.Header("set-cookie");
  if (!absl::StartsWith(header, "mercato_cart=")) return "";
  return header.substr(13, header.find(';') - 13);
}

// The cart id in a cookie value: Redis's name for the cart.
std::string CartIdOf(const std::string& cookie) { return cookie.substr(0, 43); }

class CartSignInTest : public SuiteTest<CartSignInTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "cart", "catalog", "user"},
            .with_dependencies = false,
            .database_prefix = "cart_signin_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    HttpResult r = HttpClient(suite_->port("gateway")).Get("/api/v1/products?page_size=3");
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& p : r.json["products"]) ids_.push_back(p["id"].get<std::string>());
    ASSERT_EQ(ids_.size(), 3u);
  }

 protected:
  HttpClient http() const { return HttpClient(suite_->port("gateway")); }

  // Registers a new shopper; returns the email.
  std::string Register() {
    const std::string email = absl::StrCat("shopper-", NewUuid(), "@example.com");
    Json body = Json::object();
    body["email"] = email;
    body["password"] = kPassword;
    body["name"] = "Shopper";
    HttpResult r = http().Post("/api/v1/users", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return email;
  }
  HttpResult SignIn(const std::string& email, const std::string& cookie) {
    Json body = Json::object();
    body["email"] = email;
    body["password"] = kPassword;
    std::map<std::string, std::string> headers;
    if (!cookie.empty()) headers["Cookie"] = cookie;
    return http().Post("/api/v1/sessions", body, headers);
  }
  HttpResult Add(const std::string& product_id, int quantity,
                 const std::map<std::string, std::string>& headers) {
    Json body = Json::object();
    body["product_id"] = product_id;
    body["quantity"] = quantity;
    return http().Post("/api/v1/cart/items", body, headers);
  }
  static std::map<std::string, std::string> Bearer(const HttpResult& session) {
    return {{"Authorization", "Bearer " + session.json["access_token"].get<std::string>()}};
  }
  static int QuantityOf(const Json& cart, const std::string& product_id) {
    for (const auto& item : cart["items"]) {
      if (item["product_id"] == product_id) return item["quantity"].get<int>();
    }
    return 0;
  }

  static std::vector<std::string> ids_;
};

std::vector<std::string> CartSignInTest::ids_;

TEST_F(CartSignInTest, GuestCartMergesIntoTheShoppersCartAndTheCookieIsCleared) {
  const std::string email = Register();
  // The shopper's own cart already holds some of the first product.
  HttpResult earlier = SignIn(email, "");
  ASSERT_EQ(earlier.status, 200) << earlier.body;
  ASSERT_EQ(Add(ids_[0], 60, Bearer(earlier)).status, 200);

  HttpResult guest_add = Add(ids_[0], 50, {});
  ASSERT_EQ(guest_add.status, 200) << guest_add.body;
  const std::string guest = CookieFromSetCookie(guest_add);
  ASSERT_EQ(guest.size(), 87u);
  ASSERT_EQ(Add(ids_[1], 2, {{"Cookie", "mercato_cart=" + guest}}).status, 200);

  HttpResult session = SignIn(email, "theme=dark; mercato_cart=" + guest);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Header("set-cookie"), kClearedCookie);

  HttpResult cart = http().Get("/api/v1/cart", Bearer(session));
  ASSERT_EQ(cart.status, 200) << cart.body;
  EXPECT_EQ(QuantityOf(cart.json, ids_[0]), 99);  // 60 + 50, capped at 99
  EXPECT_EQ(QuantityOf(cart.json, ids_[1]), 2);
  EXPECT_EQ(cart.json["items"].size(), 2u);
  EXPECT_EQ(RedisServer::Shared()->Cli("EXISTS mercato:cart:g:" + CartIdOf(guest)), "0");
  // Signing in again with the old cookie merges nothing twice.
  HttpResult again = SignIn(email, "mercato_cart=" + guest);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(QuantityOf(http().Get("/api/v1/cart", Bearer(again)).json, ids_[1]), 2);
}

TEST_F(CartSignInTest, SignInWithoutACartCookieSetsNoCookie) {
  HttpResult session = SignIn(Register(), "");
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Header("set-cookie"), "");
}

TEST_F(CartSignInTest, ForgedCartCookieIsClearedAtSignIn) {
  HttpResult session = SignIn(Register(), "mercato_cart=forged");
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Header("set-cookie"), kClearedCookie);
}

TEST_F(CartSignInTest, WrongPasswordMergesNothing) {
  const std::string email = Register();
  HttpResult guest_add = Add(ids_[2], 1, {});
  const std::string guest = CookieFromSetCookie(guest_add);
  Json body = Json::object();
  body["email"] = email;
  body["password"] = "wrong-password-123";
  HttpResult r = http().Post("/api/v1/sessions", body, {{"Cookie", "mercato_cart=" + guest}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.Header("set-cookie"), "");
  EXPECT_EQ(RedisServer::Shared()->Cli("EXISTS mercato:cart:g:" + CartIdOf(guest)), "1");
}

// Issue 15, defect 10 (guest cart fixation): an attacker fills a cart under an id of their
// choosing and plants that id as the victim's cookie. At the victim's sign-in nothing of it
// is merged (the cookie is not one the gateway signed), and the planted cart stays apart.
TEST_F(CartSignInTest, PlantedCartIdIsNotMergedAtSignIn) {
  const std::string email = Register();
  const std::string chosen = RandomToken(32);
  RedisServer* redis = RedisServer::Shared();
  redis->Cli(absl::StrCat("HSET mercato:cart:g:", chosen, " ", ids_[1], " 7"));
  for (const std::string& planted : {chosen, chosen + "." + RandomToken(32)}) {
    SCOPED_TRACE(planted);
    HttpResult session = SignIn(email, "mercato_cart=" + planted);
    ASSERT_EQ(session.status, 200) << session.body;
    EXPECT_EQ(session.Header("set-cookie"), kClearedCookie);
    HttpResult cart = http().Get("/api/v1/cart", Bearer(session));
    ASSERT_EQ(cart.status, 200) << cart.body;
    EXPECT_EQ(cart.json["items"], Json::array());
  }
  EXPECT_EQ(redis->Cli(absl::StrCat("HGET mercato:cart:g:", chosen, " ", ids_[1])), "7");
}

// Last: it stops and restarts the suite's Redis.
TEST_F(CartSignInTest, ZzSignInSucceedsWhileTheCartIsDownAndKeepsTheCookie) {
  const std::string email = Register();
  const std::string guest = CookieFromSetCookie(Add(ids_[2], 1, {}));
  ASSERT_EQ(guest.size(), 87u);
  RedisServer::Shared()->Stop();
  HttpResult session = SignIn(email, "mercato_cart=" + guest);
  EXPECT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Header("set-cookie"), "");  // kept, so the next sign-in may merge
  ASSERT_TRUE(RedisServer::Shared()->Restart().ok());
}

}  // namespace
}  // namespace mercato::testing
