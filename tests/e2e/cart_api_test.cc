// Black-box: the cart API through the real gateway, cart and catalog binaries, over HTTP
// (and the cart's gRPC API for the sign-in merge), with a real Redis and PostgreSQL.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gateway/cart_cookie.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/postgres.h"
#include "support/redis.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using Json = nlohmann::json;
using gateway::SignGuestCartId;
using std::chrono::milliseconds;

constexpr char kCookieName[] = "mercato_cart";
constexpr int64_t kGuestCartTtl = 7 * 24 * 3600;

// Access tokens are minted with the suite's access-token key (support/identity.h).
std::map<std::string, std::string> Bearer(const std::string& user_id) {
  return {{"Authorization", "Bearer " + AccessToken(user_id)}};
}

// The mercato_cart value of a Set-Cookie header ("" when none): "<cart id>.<signature>".
std::string CookieFromSetCookie(const HttpResult& r) {
  const std::string header = r.Header("set-cookie");
  const std::string prefix = std::string(kCookieName) + "=";
  if (!absl::StartsWith(header, prefix)) return "";
  return header.substr(prefix.size(), header.find(';') - prefix.size());
}

// 43 characters of cart id, ".", 43 of HMAC-SHA256 tag (gateway/cart_cookie.h).
constexpr size_t kCookieLength = 87;
// The cart id in a cookie value (the cart service's and Redis's name for the cart).
std::string CartIdOf(const std::string& cookie) { return cookie.substr(0, 43); }

class CartApiTest : public SuiteTest<CartApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "cart", "catalog"},
            .with_dependencies = false,
            .database_prefix = "cart_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    HttpResult r = HttpClient(suite_->port("gateway")).Get("/api/v1/products?page_size=5");
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& p : r.json["products"]) products_.push_back(p);
    ASSERT_EQ(products_.size(), 5u);
  }

 protected:
  HttpClient http() const { return HttpClient(suite_->port("gateway")); }
  static std::string Id(int i) { return products_[i]["id"].get<std::string>(); }
  static int64_t Price(int i) { return products_[i]["price"]["amount"].get<int64_t>(); }
  static std::map<std::string, std::string> Cookie(const std::string& cart_id) {
    return {{"Cookie", absl::StrCat(kCookieName, "=", cart_id)}};
  }

  HttpResult AddItem(const Json& body, const std::map<std::string, std::string>& headers = {}) {
    return http().Post("/api/v1/cart/items", body, headers);
  }
  HttpResult AddItem(const std::string& product_id, int quantity,
                     const std::map<std::string, std::string>& headers = {}) {
    Json body = Json::object();
    body["product_id"] = product_id;
    body["quantity"] = quantity;
    return AddItem(body, headers);
  }
  HttpResult Patch(const std::string& product_id, const std::string& body,
                   std::map<std::string, std::string> headers) {
    headers["Content-Type"] = "application/json";
    return http().Send("PATCH", "/api/v1/cart/items/" + product_id, body, headers);
  }
  // A new guest cart holding `quantity` of product `i`; returns its cookie value.
  std::string NewGuestCart(int i, int quantity) {
    HttpResult r = AddItem(Id(i), quantity);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie = CookieFromSetCookie(r);
    EXPECT_EQ(cookie.size(), kCookieLength) << r.Header("set-cookie");
    return cookie;
  }
  static int QuantityOf(const Json& cart, const std::string& product_id) {
    for (const auto& item : cart["items"]) {
      if (item["product_id"] == product_id) return item["quantity"].get<int>();
    }
    return 0;
  }
  static void ExpectError(const HttpResult& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.json["error"]["code"], code) << r.body;
  }

  static std::vector<Json> products_;
};

std::vector<Json> CartApiTest::products_;

TEST_F(CartApiTest, WithoutACookieTheCartIsEmptyAndNoCookieIsSet) {
  HttpResult r = http().Get("/api/v1/cart");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["items"], Json::array());
  EXPECT_EQ(r.json["subtotal"]["amount"], 0);
  EXPECT_EQ(r.json["subtotal"]["currency"], "USD");
  EXPECT_EQ(r.Header("set-cookie"), "");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
}

TEST_F(CartApiTest, GuestAddIssuesTheCookieAndTheCartIsPricedFromTheCatalog) {
  HttpResult first = AddItem(Id(0), 2);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string cart_id = CookieFromSetCookie(first);
  ASSERT_EQ(cart_id.size(), kCookieLength);
  EXPECT_EQ(first.Header("set-cookie"),
            absl::StrCat("mercato_cart=", cart_id, "; Path=/; Max-Age=2592000; HttpOnly; ",
                         "SameSite=Lax"));

  HttpResult second = AddItem(Id(1), 1, Cookie(cart_id));
  ASSERT_EQ(second.status, 200) << second.body;
  // The same cart; the cookie is sent again so that it lives as long as the cart.
  EXPECT_EQ(CookieFromSetCookie(second), cart_id);

  HttpResult r = http().Get("/api/v1/cart", Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["items"].size(), 2u);
  for (const auto& item : r.json["items"]) {
    const int i = item["product_id"] == Id(0) ? 0 : 1;
    const int quantity = i == 0 ? 2 : 1;
    EXPECT_EQ(item["product_id"], Id(i));
    EXPECT_EQ(item["name"], products_[i]["name"]);
    EXPECT_EQ(item["quantity"], quantity);
    EXPECT_EQ(item["unit_price"]["amount"], Price(i));
    EXPECT_EQ(item["unit_price"]["currency"], "USD");
    EXPECT_EQ(item["line_total"]["amount"], quantity * Price(i));
    EXPECT_EQ(item["line_total"]["currency"], "USD");
    EXPECT_EQ(item["image_url"], products_[i]["image_url"]);
    EXPECT_EQ(item["available_stock"], products_[i]["stock"]);
  }
  EXPECT_EQ(r.json["subtotal"]["amount"], 2 * Price(0) + Price(1));
  EXPECT_EQ(r.json["subtotal"]["currency"], "USD");

  // Redis holds ids and quantities only (and the cart's revision), and the guest cart expires
  // in 7 days.
  RedisServer* redis = RedisServer::Shared();
  const std::string key = "mercato:cart:g:" + CartIdOf(cart_id);
  EXPECT_EQ(redis->Cli(absl::StrCat("HGET ", key, " ", Id(0))), "2");
  EXPECT_EQ(redis->Cli("HLEN " + key), "3");
  EXPECT_EQ(redis->Cli("HSTRLEN " + key + " ''"), "22");
  int64_t ttl = 0;
  ASSERT_TRUE(absl::SimpleAtoi(redis->Cli("TTL " + key), &ttl));
  EXPECT_GT(ttl, kGuestCartTtl - 60);
  EXPECT_LE(ttl, kGuestCartTtl);
}

TEST_F(CartApiTest, AddingAddsToTheExistingQuantity) {
  const std::string cart_id = NewGuestCart(0, 3);
  HttpResult r = AddItem(Id(0), 4, Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["items"].size(), 1u);
  EXPECT_EQ(r.json["items"][0]["quantity"], 7);
  EXPECT_EQ(r.json["items"][0]["line_total"]["amount"], 7 * Price(0));
  EXPECT_EQ(r.json["subtotal"]["amount"], 7 * Price(0));
}

TEST_F(CartApiTest, TwentyConcurrentAddsOverHttpGiveExactlyTwenty) {
  const std::string cart_id = NewGuestCart(1, 1);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      if (AddItem(Id(0), 1, Cookie(cart_id)).status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  HttpResult r = http().Get("/api/v1/cart", Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(QuantityOf(r.json, Id(0)), 20);
  EXPECT_EQ(QuantityOf(r.json, Id(1)), 1);
  EXPECT_EQ(r.json["subtotal"]["amount"], 20 * Price(0) + Price(1));
}

TEST_F(CartApiTest, PatchSetsTheQuantity) {
  const std::string cart_id = NewGuestCart(0, 5);
  HttpResult r = Patch(Id(0), R"({"quantity": 2})", Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["items"][0]["quantity"], 2);
  EXPECT_EQ(r.json["subtotal"]["amount"], 2 * Price(0));
  ExpectError(Patch(Id(1), R"({"quantity": 2})", Cookie(cart_id)), 404, "item_not_in_cart");
  ExpectError(Patch(Id(0), R"({"quantity": 0})", Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(Patch(Id(0), R"({"quantity": 100})", Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(Patch(Id(0), R"({"qty": 1})", Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(Patch(Id(0), "{", Cookie(cart_id)), 400, "invalid_json");
  ExpectError(Patch(Id(0), R"({"quantity": 2})", {}), 404, "item_not_in_cart");
  EXPECT_EQ(QuantityOf(http().Get("/api/v1/cart", Cookie(cart_id)).json, Id(0)), 2);
}

TEST_F(CartApiTest, DeleteRemovesALineAndDeleteCartEmptiesIt) {
  const std::string cart_id = NewGuestCart(0, 1);
  ASSERT_EQ(AddItem(Id(1), 2, Cookie(cart_id)).status, 200);
  HttpResult r = http().Send("DELETE", "/api/v1/cart/items/" + Id(0), "", Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["items"].size(), 1u);
  EXPECT_EQ(r.json["items"][0]["product_id"], Id(1));
  EXPECT_EQ(r.json["subtotal"]["amount"], 2 * Price(1));
  // Removing it again is not an error.
  EXPECT_EQ(http().Send("DELETE", "/api/v1/cart/items/" + Id(0), "", Cookie(cart_id)).status, 200);

  r = http().Send("DELETE", "/api/v1/cart", "", Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["items"], Json::array());
  EXPECT_EQ(r.json["subtotal"]["amount"], 0);
  EXPECT_EQ(http().Get("/api/v1/cart", Cookie(cart_id)).json["items"], Json::array());
  EXPECT_EQ(RedisServer::Shared()->Cli("EXISTS mercato:cart:g:" + CartIdOf(cart_id)), "0");
}

TEST_F(CartApiTest, BadRequestsAre400) {
  const std::string cart_id = NewGuestCart(0, 1);
  auto headers = Cookie(cart_id);
  headers["Content-Type"] = "application/json";
  ExpectError(http().Send("POST", "/api/v1/cart/items", "{not json", headers), 400, "invalid_json");
  ExpectError(http().Send("POST", "/api/v1/cart/items", "[1,2]", headers), 400, "invalid_json");
  ExpectError(AddItem(Id(0), -1, Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(AddItem(Id(0), 0, Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(AddItem(Id(0), 100, Cookie(cart_id)), 400, "invalid_quantity");
  ExpectError(
      AddItem(Json::parse(R"({"product_id":")" + Id(0) + R"(","quantity":"2"})"), Cookie(cart_id)),
      400, "invalid_quantity");
  ExpectError(
      AddItem(Json::parse(R"({"product_id":")" + Id(0) + R"(","quantity":1.5})"), Cookie(cart_id)),
      400, "invalid_quantity");
  ExpectError(
      AddItem(Json::parse(R"({"product_id":")" + Id(0) + R"(","quantity":1e12})"), Cookie(cart_id)),
      400, "invalid_quantity");
  ExpectError(AddItem(Json::parse(R"({"product_id":")" + Id(0) + R"(","quantity":99999999999999})"),
                      Cookie(cart_id)),
              400, "invalid_quantity");
  ExpectError(AddItem(Json::parse(R"({"quantity":1})"), Cookie(cart_id)), 400,
              "invalid_product_id");
  ExpectError(AddItem(Json::parse(R"({"product_id":7,"quantity":1})"), Cookie(cart_id)), 400,
              "invalid_product_id");
  // Nothing of it reached the cart.
  HttpResult r = http().Get("/api/v1/cart", Cookie(cart_id));
  EXPECT_EQ(QuantityOf(r.json, Id(0)), 1);
  EXPECT_EQ(r.json["items"].size(), 1u);
}

TEST_F(CartApiTest, AddingPast99Is400AndKeepsTheLine) {
  const std::string cart_id = NewGuestCart(2, 98);
  ExpectError(AddItem(Id(2), 2, Cookie(cart_id)), 400, "quantity_limit_exceeded");
  HttpResult r = AddItem(Id(2), 1, Cookie(cart_id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(QuantityOf(r.json, Id(2)), 99);
  ExpectError(AddItem(Id(2), 1, Cookie(cart_id)), 400, "quantity_limit_exceeded");
}

TEST_F(CartApiTest, UnknownProductIs404AndSetsNoCookie) {
  HttpResult r = AddItem(NewUuid(), 1);
  ExpectError(r, 404, "product_not_found");
  EXPECT_EQ(r.Header("set-cookie"), "");
  ExpectError(AddItem("not-a-product", 1), 404, "product_not_found");
}

TEST_F(CartApiTest, OutOfStockProductIs409) {
  const std::string id = Id(4);
  PostgresServer::Shared()->Psql("cart_e2e_catalog",
                                 "UPDATE products SET on_hand = 0 WHERE id = '" + id + "'");
  // The catalog's in-memory read model follows the change within milliseconds.
  HttpResult r;
  for (int i = 0; i < 100; ++i) {
    r = AddItem(id, 1);
    if (r.status != 200) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  ExpectError(r, 409, "out_of_stock");
  PostgresServer::Shared()->Psql(
      "cart_e2e_catalog",
      "UPDATE products SET on_hand = " + std::to_string(products_[4]["stock"].get<int64_t>()) +
          " WHERE id = '" + id + "'");
}

TEST_F(CartApiTest, ForgedCookieIsAnEmptyCartAndAFreshOneIsIssued) {
  const std::vector<std::string> forged_ids = {"../../etc/passwd", "short", std::string(43, '*'),
                                               "mercato:cart:u:someone-elses-cart-000000000"};
  for (const auto& forged : forged_ids) {
    HttpResult r = http().Get("/api/v1/cart", Cookie(forged));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["items"], Json::array());
  }
  // A well-formed id nobody issued is just an empty cart.
  HttpResult unknown = http().Get("/api/v1/cart", Cookie(RandomToken(32)));
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_EQ(unknown.json["items"], Json::array());

  HttpResult r = AddItem(Id(0), 1, Cookie("bad value"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(CookieFromSetCookie(r).size(), kCookieLength);
}

// Issue 15, defect 10 (guest cart fixation): a cart id the gateway did not issue names no cart.
// An attacker who filled a cart under an id of their choosing and planted that id as a
// victim's cookie neither shows the victim that cart nor gets the victim's additions into it.
TEST_F(CartApiTest, CartIdChosenByAnotherIsNeitherReadNorFilled) {
  const std::string chosen = RandomToken(32);
  RedisServer* redis = RedisServer::Shared();
  redis->Cli(absl::StrCat("HSET mercato:cart:g:", chosen, " ", Id(2), " 5"));
  ASSERT_EQ(redis->Cli(absl::StrCat("HGET mercato:cart:g:", chosen, " ", Id(2))), "5");
  const std::string other_key = "a-different-key-nobody-should-use-0123456789";
  for (const std::string& planted :
       {chosen, chosen + "." + CartIdOf(RandomToken(32)), SignGuestCartId(other_key, chosen),
        SignGuestCartId(kTestCartCookieKey, chosen) + "x"}) {
    SCOPED_TRACE(planted);
    HttpResult read = http().Get("/api/v1/cart", Cookie(planted));
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json["items"], Json::array());
    HttpResult add = AddItem(Id(1), 1, Cookie(planted));
    ASSERT_EQ(add.status, 200) << add.body;
    const std::string issued = CookieFromSetCookie(add);
    EXPECT_EQ(issued.size(), kCookieLength);
    EXPECT_NE(CartIdOf(issued), chosen);  // a fresh cart, not the planted one
    EXPECT_EQ(QuantityOf(add.json, Id(2)), 0);
  }
  EXPECT_EQ(redis->Cli("HLEN mercato:cart:g:" + chosen), "1");  // untouched
  // The gateway's own signature on that id is what it takes (only the gateway can make it).
  HttpResult signed_read =
      http().Get("/api/v1/cart", Cookie(SignGuestCartId(kTestCartCookieKey, chosen)));
  EXPECT_EQ(QuantityOf(signed_read.json, Id(2)), 5);
}

TEST_F(CartApiTest, SignedInShopperUsesTheirOwnCart) {
  const std::string alice = NewUuid();
  const std::string bob = NewUuid();
  HttpResult r = AddItem(Id(0), 3, Bearer(alice));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("set-cookie"), "");  // no guest cart for a signed-in shopper
  EXPECT_EQ(QuantityOf(r.json, Id(0)), 3);
  EXPECT_EQ(RedisServer::Shared()->Cli(absl::StrCat("HGET mercato:cart:u:", alice, " ", Id(0))),
            "3");
  EXPECT_EQ(RedisServer::Shared()->Cli("TTL mercato:cart:u:" + alice), "-1");

  // Bob sees his own (empty) cart, never Alice's.
  HttpResult other = http().Get("/api/v1/cart", Bearer(bob));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.json["items"], Json::array());

  // A guest cookie sent along with a token is not the cart a signed-in shopper acts on.
  const std::string guest = NewGuestCart(1, 1);
  auto both = Bearer(alice);
  both["Cookie"] = absl::StrCat(kCookieName, "=", guest);
  HttpResult mine = http().Get("/api/v1/cart", both);
  EXPECT_EQ(QuantityOf(mine.json, Id(0)), 3);
  EXPECT_EQ(QuantityOf(mine.json, Id(1)), 0);

  // A bad token on a cart route is refused, not treated as anonymous.
  HttpResult forged = http().Get("/api/v1/cart", {{"Authorization", "Bearer not.a.token"}});
  EXPECT_EQ(forged.status, 401) << forged.body;
}

TEST_F(CartApiTest, GuestCartMergesIntoTheUsersCartOnSignIn) {
  const std::string user = NewUuid();
  ASSERT_EQ(AddItem(Id(0), 60, Bearer(user)).status, 200);
  const std::string guest = NewGuestCart(0, 50);
  ASSERT_EQ(AddItem(Id(3), 2, Cookie(guest)).status, 200);

  // What the gateway's sign-in hook does, as the cart service sees it: the gateway's service
  // token and the new access token.
  auto stub = cart::v1::CartService::NewStub(
      grpc::CreateChannel(suite_->address("cart"), grpc::InsecureChannelCredentials()));
  auto ctx = CallAs("gateway", "cart", AccessToken(user));
  cart::v1::MergeGuestCartRequest request;
  request.set_guest_cart_id(CartIdOf(guest));
  cart::v1::Cart merged;
  grpc::Status status = stub->MergeGuestCart(ctx.get(), request, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(merged.items_size(), 2);

  HttpResult r = http().Get("/api/v1/cart", Bearer(user));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(QuantityOf(r.json, Id(0)), 99);  // 60 + 50, capped
  EXPECT_EQ(QuantityOf(r.json, Id(3)), 2);
  EXPECT_EQ(r.json["subtotal"]["amount"], 99 * Price(0) + 2 * Price(3));
  EXPECT_EQ(http().Get("/api/v1/cart", Cookie(guest)).json["items"], Json::array());
  EXPECT_EQ(RedisServer::Shared()->Cli("EXISTS mercato:cart:g:" + CartIdOf(guest)), "0");

  // Without the user's token the merge is refused, whatever metadata names the user.
  auto anonymous = CallAs("gateway", "cart");
  anonymous->AddMetadata("x-mercato-user-id", user);
  anonymous->AddMetadata("x-mercato-user-role", "customer");
  EXPECT_EQ(stub->MergeGuestCart(anonymous.get(), request, &merged).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Last: it stops and restarts the suite's Redis.
TEST_F(CartApiTest, ZzRedisDownIs503InTimeWhileBrowsingWorks) {
  const std::string cart_id = NewGuestCart(0, 1);
  RedisServer* redis = RedisServer::Shared();
  redis->Stop();

  for (const auto& call : {std::string("GET"), std::string("POST")}) {
    const auto start = std::chrono::steady_clock::now();
    HttpResult r = call == "GET" ? http().Get("/api/v1/cart", Cookie(cart_id))
                                 : AddItem(Id(0), 1, Cookie(cart_id));
    const auto took = std::chrono::steady_clock::now() - start;
    ExpectError(r, 503, "cart_unavailable");
    EXPECT_EQ(r.Header("retry-after"), "1");
    // Well within the gateway's 3 s backend deadline.
    EXPECT_LT(took, milliseconds(2000)) << call;
  }
  HttpResult products = http().Get("/api/v1/products?page_size=3");
  EXPECT_EQ(products.status, 200) << products.body;
  EXPECT_EQ(products.json["products"].size(), 3u);
  EXPECT_EQ(http().Get("/api/v1/products/" + Id(0)).status, 200);

  ASSERT_TRUE(redis->Restart().ok());
  HttpResult back;
  for (int i = 0; i < 40; ++i) {
    back = AddItem(Id(0), 2, Cookie(cart_id));
    if (back.status == 200) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(back.status, 200) << back.body;
  // The test Redis keeps nothing on disk: the cart starts again from this add.
  EXPECT_EQ(QuantityOf(back.json, Id(0)), 2);
  EXPECT_EQ(http().Get("/api/v1/cart", Cookie(cart_id)).status, 200);
}

}  // namespace
}  // namespace mercato::testing
