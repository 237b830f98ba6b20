// Black-box: checkout and orders through the real gateway, with every service behind it
// (catalog, cart on Redis, user, checkout, payment) and a real PostgreSQL. Overselling under
// 200 concurrent shoppers, one order for 50 concurrent repeats of one Idempotency-Key,
// declines, idempotent replays and their 409 / 422, ownership of orders, the order list,
// strict request validation, server-side prices and totals, metrics, and no card number in
// any database row or service log.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;

constexpr char kPrefix[] = "checkout_e2e";

class CheckoutApiTest : public ShopTest<CheckoutApiTest> {
 public:
  // Generous timeouts: 200 checkouts at once on a busy 2-core machine must not turn into
  // timeouts, since the test counts exact outcomes.
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"checkout",
                     {{"MERCATO_RPC_TIMEOUT_MS", "8000"},
                      {"MERCATO_CHECKOUT_LEASE_MS", "12000"},
                      {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "500"},
                      {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "2000"}}},
                    {"gateway", {{"MERCATO_REQUEST_TIMEOUT_MS", "30000"}}}},
            .database_prefix = kPrefix};
  }

 protected:
  // A shopper whose cart holds `quantity` of `product_id`.
  static Shopper WithCart(const std::string& product_id, int quantity) {
    Shopper s;
    HttpResult r = AddToCart(port(), s, product_id, quantity);
    EXPECT_EQ(r.status, 200) << r.body;
    return s;
  }

  static HttpResult Get(const Shopper& s, const std::string& target) {
    return Call(port(), "GET", target, "", s.Auth());
  }
};

TEST_F(CheckoutApiTest, PaidOrderIsPricedServerSideWithShippingAndTax) {
  const std::string knife = admin_->CreateProduct("Chef knife", 2599, 10);
  const std::string apron = admin_->CreateProduct("Apron", 1250, 10);
  Shopper s = WithCart(knife, 1);
  ASSERT_EQ(AddToCart(port(), s, apron, 2).status, 200);

  HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody());
  ASSERT_EQ(r.status, 201) << r.body;
  const json& o = r.json;
  EXPECT_TRUE(IsUuid(o["id"].get<std::string>()));
  EXPECT_EQ(r.Header("Location"), "/api/v1/orders/" + o["id"].get<std::string>());
  EXPECT_EQ(o["status"], "paid");
  // 2599 + 2 * 1250 = 5099: at least 50.00, so shipping is free; tax 8 % = 407.92 -> 408.
  EXPECT_EQ(o["subtotal"]["amount"], 5099);
  EXPECT_EQ(o["subtotal"]["currency"], "USD");
  EXPECT_EQ(o["shipping"]["amount"], 0);
  EXPECT_EQ(o["tax"]["amount"], 408);
  EXPECT_EQ(o["total"]["amount"], 5507);
  ASSERT_EQ(o["items"].size(), 2u);
  std::map<std::string, json> items;
  for (const auto& item : o["items"]) items[item["product_id"]] = item;
  EXPECT_EQ(items[apron]["quantity"], 2);
  EXPECT_EQ(items[apron]["unit_price"]["amount"], 1250);
  EXPECT_EQ(items[apron]["line_total"]["amount"], 2500);
  EXPECT_EQ(items[knife]["line_total"]["amount"], 2599);
  EXPECT_EQ(o["card_brand"], "visa");
  EXPECT_EQ(o["card_last4"], "4242");
  EXPECT_EQ(o["failure_code"], "");
  EXPECT_EQ(o["shipping_address"]["city"], "Berlin");

  // Stock sold, the payment captured for exactly the total, the cart emptied.
  EXPECT_EQ(db().Stock(knife), 9);
  EXPECT_EQ(db().Stock(apron), 8);
  const std::string id = o["id"];
  EXPECT_EQ(db().Payment("SELECT state || '|' || amount || '|' || currency FROM payments WHERE "
                         "order_id = '" +
                         id + "'"),
            "captured|5507|USD");
  EXPECT_EQ(db().Catalog("SELECT state FROM reservations WHERE id = '" + id + "'"), "committed");
  HttpResult cart = Get(s, "/api/v1/cart");
  ASSERT_EQ(cart.status, 200);
  EXPECT_TRUE(cart.json["items"].empty()) << cart.body;

  // The history records every step, in order.
  HttpResult got = Get(s, "/api/v1/orders/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  std::vector<std::string> steps;
  for (const auto& h : got.json["history"]) steps.push_back(h["step"]);
  EXPECT_EQ(steps,
            (std::vector<std::string>{"priced", "reserved", "authorized", "captured", "paid"}));
}

TEST_F(CheckoutApiTest, SmallOrderPaysFlatShipping) {
  const std::string mug = admin_->CreateProduct("Mug", 1000, 5);
  Shopper s = WithCart(mug, 1);
  HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["subtotal"]["amount"], 1000);
  EXPECT_EQ(r.json["shipping"]["amount"], 499);
  EXPECT_EQ(r.json["tax"]["amount"], 80);
  EXPECT_EQ(r.json["total"]["amount"], 1579);
}

TEST_F(CheckoutApiTest, PriceIsTheCatalogsAtCheckoutTime) {
  const std::string pan = admin_->CreateProduct("Pan", 3000, 5);
  Shopper s = WithCart(pan, 1);
  // The price changes after the item went into the cart: the order uses the new one.
  admin_->SetPrice(pan, 3500);
  HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["items"][0]["unit_price"]["amount"], 3500);
  EXPECT_EQ(r.json["subtotal"]["amount"], 3500);
}

// Test 1 of the issue: 200 shoppers, 10 in stock.
TEST_F(CheckoutApiTest, TwoHundredConcurrentCheckoutsNeverOversell) {
  const std::string product = admin_->CreateProduct("Limited edition", 1999, 10);
  constexpr int kShoppers = 200;
  std::vector<Shopper> shoppers(kShoppers);
  {
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < kShoppers; i = next++) {
          HttpResult r = AddToCart(port(), shoppers[i], product, 1);
          EXPECT_EQ(r.status, 200) << r.body;
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  std::atomic<bool> done{false};
  std::atomic<int64_t> lowest{1 << 30};
  std::thread watcher([&] {
    while (!done) {
      HttpResult p = Call(port(), "GET", "/api/v1/products/" + product, "", {});
      if (p.status == 200) {
        const int64_t stock = p.json["stock"];
        int64_t seen = lowest.load();
        while (stock < seen && !lowest.compare_exchange_weak(seen, stock)) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::vector<HttpResult> results(kShoppers);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kShoppers; ++i) {
      threads.emplace_back(
          [&, i] { results[i] = Checkout(port(), shoppers[i], NewUuid(), CheckoutBody()); });
    }
    for (auto& t : threads) t.join();
  }
  done = true;
  watcher.join();

  int paid = 0, out_of_stock = 0;
  std::set<std::string> order_ids;
  for (const auto& r : results) {
    if (r.status == 201 && r.json["status"] == "paid") {
      ++paid;
      order_ids.insert(r.json["id"].get<std::string>());
    } else if (r.status == 409 && ErrorCode(r) == "out_of_stock") {
      ++out_of_stock;
    } else {
      ADD_FAILURE() << "unexpected answer " << r.status << " " << r.body;
    }
  }
  EXPECT_EQ(paid, 10);
  EXPECT_EQ(out_of_stock, 190);
  EXPECT_EQ(order_ids.size(), 10u);
  EXPECT_EQ(db().Stock(product), 0);
  EXPECT_GE(lowest.load(), 0);
  // Exactly the paid orders hold the product and have a captured payment.
  EXPECT_EQ(db().Count("checkout",
                       "SELECT count(*) FROM orders o JOIN order_items i ON i.order_id = o.id "
                       "WHERE o.status = 'paid' AND i.product_id = '" +
                           product + "'"),
            10);
  EXPECT_EQ(db().Count("checkout",
                       "SELECT count(*) FROM orders o JOIN order_items i ON "
                       "i.order_id = o.id WHERE o.status = 'failed' AND "
                       "o.failure_code = 'out_of_stock' AND i.product_id = '" +
                           product + "'"),
            190);
  // Of all 200 orders, exactly the 10 paid ones have a payment, captured.
  std::string all_ids = db().Checkout(
      "SELECT string_agg(quote_literal(o.id::text), ',') FROM orders o JOIN order_items i ON "
      "i.order_id = o.id WHERE i.product_id = '" +
      product + "'");
  std::string paid_ids;
  for (const auto& id : order_ids) paid_ids += (paid_ids.empty() ? "" : ",") + id;
  EXPECT_EQ(db().Payment("SELECT string_agg(order_id || ':' || state || ':' || amount, ',' "
                         "ORDER BY order_id) FROM payments WHERE order_id IN (" +
                         all_ids + ")"),
            [&] {
              std::string expected;
              for (const auto& id : order_ids) {
                expected += (expected.empty() ? "" : ",") + id + ":captured:2658";
              }
              return expected;
            }());
}

// Test 2 of the issue: one Idempotency-Key, 50 requests at once.
TEST_F(CheckoutApiTest, FiftyConcurrentRepeatsOfOneKeyMakeOneOrderAndOneCharge) {
  const std::string product = admin_->CreateProduct("Kettle", 4500, 100);
  Shopper s = WithCart(product, 1);
  const std::string key = NewUuid();
  const json body = CheckoutBody();
  constexpr int kRequests = 50;
  std::vector<HttpResult> results(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] { results[i] = Checkout(port(), s, key, body); });
  }
  for (auto& t : threads) t.join();

  std::set<std::string> ids;
  int created = 0, in_progress = 0;
  for (const auto& r : results) {
    if (r.status == 201) {
      ++created;
      ids.insert(r.json["id"].get<std::string>());
    } else if (r.status == 409 && ErrorCode(r) == "in_progress") {
      ++in_progress;
      EXPECT_EQ(r.Header("Retry-After"), "1");
    } else {
      ADD_FAILURE() << "unexpected answer " << r.status << " " << r.body;
    }
  }
  EXPECT_GE(created, 1);
  EXPECT_EQ(created + in_progress, kRequests);
  ASSERT_EQ(ids.size(), 1u);
  const std::string id = *ids.begin();
  EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id + "'"),
            1);
  EXPECT_EQ(
      db().Payment("SELECT string_agg(state, ',') FROM payments WHERE order_id = '" + id + "'"),
      "captured");
  EXPECT_EQ(db().Stock(product), 99);

  // After completion the same request keeps answering with the same order.
  HttpResult again = Checkout(port(), s, key, body);
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json["id"], id);
  EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments"),
            db().Count("checkout", "SELECT count(*) FROM orders WHERE payment_id <> ''"));
}

// Test 3 of the issue.
TEST_F(CheckoutApiTest, DeclinedCardIs402AndChangesNothingThenAGoodCardSucceeds) {
  const std::string product = admin_->CreateProduct("Dutch oven", 8900, 7);
  Shopper s = WithCart(product, 2);
  const std::string declined_key = NewUuid();
  HttpResult r = Checkout(port(), s, declined_key, CheckoutBody(kDeclinedCard));
  ASSERT_EQ(r.status, 402) << r.body;
  EXPECT_EQ(ErrorCode(r), "payment_declined");
  EXPECT_EQ(db().Stock(product), 7);
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM payments p WHERE p.state = 'captured' "
                       "AND p.order_id IN (SELECT order_id FROM payments WHERE "
                       "card_last4 = '0002')"),
            0);
  EXPECT_EQ(db().Checkout("SELECT status || '|' || failure_code FROM orders WHERE user_id = '" +
                          s.id + "'"),
            "failed|payment_declined");
  // The declined order's reservation was released, its payment is just "declined".
  const std::string failed_id =
      db().Checkout("SELECT id FROM orders WHERE user_id = '" + s.id + "'");
  EXPECT_EQ(db().Catalog("SELECT state FROM reservations WHERE id = '" + failed_id + "'"),
            "released");
  EXPECT_EQ(db().Payment("SELECT state FROM payments WHERE order_id = '" + failed_id + "'"),
            "declined");
  // The cart is kept for the next attempt; a repeat of the declined request is declined again
  // without asking the processor.
  HttpResult repeat = Checkout(port(), s, declined_key, CheckoutBody(kDeclinedCard));
  EXPECT_EQ(repeat.status, 402);
  EXPECT_EQ(ErrorCode(repeat), "payment_declined");
  EXPECT_EQ(
      db().Count("payment", "SELECT count(*) FROM payments WHERE order_id = '" + failed_id + "'"),
      1);

  HttpResult no_funds = Checkout(port(), s, NewUuid(), CheckoutBody(kNoFundsCard));
  ASSERT_EQ(no_funds.status, 402) << no_funds.body;
  EXPECT_EQ(ErrorCode(no_funds), "insufficient_funds");
  EXPECT_EQ(db().Stock(product), 7);

  HttpResult good = Checkout(port(), s, NewUuid(), CheckoutBody(kGoodCard));
  ASSERT_EQ(good.status, 201) << good.body;
  EXPECT_EQ(good.json["status"], "paid");
  EXPECT_EQ(db().Stock(product), 5);
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM payments WHERE state = 'captured' AND "
                       "order_id = '" +
                           good.json["id"].get<std::string>() + "'"),
            1);
}

TEST_F(CheckoutApiTest, OutOfStockIs409AndHoldsNothing) {
  const std::string product = admin_->CreateProduct("Rare spice", 900, 1);
  Shopper s = WithCart(product, 2);
  HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody());
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(ErrorCode(r), "out_of_stock");
  EXPECT_EQ(db().Stock(product), 1);
  const std::string id = db().Checkout(
      "SELECT id || '|' || status || '|' || failure_code FROM "
      "orders WHERE user_id = '" +
      s.id + "'");
  const std::vector<std::string> parts = absl::StrSplit(id, '|');
  ASSERT_EQ(parts.size(), 3u) << id;
  EXPECT_EQ(parts[1], "failed");
  EXPECT_EQ(parts[2], "out_of_stock");
  EXPECT_EQ(
      db().Count("payment", "SELECT count(*) FROM payments WHERE order_id = '" + parts[0] + "'"),
      0);
}

TEST_F(CheckoutApiTest, SameKeyWithADifferentBodyIs422) {
  const std::string product = admin_->CreateProduct("Whisk", 700, 20);
  Shopper s = WithCart(product, 1);
  const std::string key = NewUuid();
  ASSERT_EQ(Checkout(port(), s, key, CheckoutBody()).status, 201);
  json other = CheckoutBody();
  other["shipping_address"]["city"] = "Hamburg";
  HttpResult r = Checkout(port(), s, key, other);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(ErrorCode(r), "idempotency_key_reused");
  // Formatting is not a different body: the same members in another order and spacing.
  const std::string reordered =
      R"({ "payment": {"card": {"cvc": "123", "exp_year": 2030, "exp_month": 12,
           "number": "4242424242424242"}},
         "shipping_address": {"country": "DE", "postal_code": "10115", "region": "",
           "city": "Berlin", "line2": "", "line1": "1 Main Street", "name": "Ann Buyer"} })";
  auto headers = s.Auth();
  headers["Idempotency-Key"] = key;
  HttpResult same = Call(port(), "POST", "/api/v1/checkout", reordered, headers);
  EXPECT_EQ(same.status, 201) << same.body;
  // A key is per user: another shopper may use the same one.
  Shopper other_shopper = WithCart(product, 1);
  EXPECT_EQ(Checkout(port(), other_shopper, key, CheckoutBody()).status, 201);
  EXPECT_EQ(
      db().Count("checkout", "SELECT count(*) FROM orders WHERE idempotency_key = '" + key + "'"),
      2);
}

TEST_F(CheckoutApiTest, IdempotencyKeyIsRequiredAndChecked) {
  const std::string product = admin_->CreateProduct("Ladle", 900, 20);
  Shopper s = WithCart(product, 1);
  HttpResult missing = Checkout(port(), s, "", CheckoutBody());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(ErrorCode(missing), "idempotency_key_required");
  HttpResult spaces = Checkout(port(), s, "has spaces", CheckoutBody());
  EXPECT_EQ(spaces.status, 400);
  EXPECT_EQ(ErrorCode(spaces), "invalid_idempotency_key");
  HttpResult too_long = Checkout(port(), s, std::string(256, 'k'), CheckoutBody());
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(ErrorCode(too_long), "invalid_idempotency_key");
  EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id + "'"),
            0);
  // No token: 401 before anything else.
  HttpResult anonymous =
      Call(port(), "POST", "/api/v1/checkout", CheckoutBody().dump(), {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(anonymous.status, 401);
}

TEST_F(CheckoutApiTest, EmptyCartIs400AndTheAnswerIsReplayed) {
  Shopper s;
  const std::string key = NewUuid();
  HttpResult r = Checkout(port(), s, key, CheckoutBody());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCode(r), "cart_empty");
  // The first outcome is the key's, even once the cart has something in it.
  const std::string product = admin_->CreateProduct("Sieve", 500, 5);
  ASSERT_EQ(AddToCart(port(), s, product, 1).status, 200);
  HttpResult again = Checkout(port(), s, key, CheckoutBody());
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(ErrorCode(again), "cart_empty");
  EXPECT_EQ(db().Stock(product), 5);
  // Not an order anyone lists.
  HttpResult list = Get(s, "/api/v1/orders");
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.json["orders"].empty()) << list.body;
}

TEST_F(CheckoutApiTest, StrictValidationNamesTheField) {
  const std::string product = admin_->CreateProduct("Tongs", 800, 20);
  Shopper s = WithCart(product, 1);
  struct Case {
    std::function<void(json&)> change;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json& b) { b["coupon"] = "FREE"; }, "unknown_field", "coupon"},
      {[](json& b) { b.erase("payment"); }, "missing_field", "payment"},
      {[](json& b) { b.erase("shipping_address"); }, "missing_field", "shipping_address"},
      {[](json& b) { b["address_id"] = NewUuid(); }, "invalid_field", "address_id"},
      {[](json& b) { b["shipping_address"].erase("city"); }, "missing_field",
       "shipping_address.city"},
      {[](json& b) { b["shipping_address"]["name"] = 7; }, "invalid_field",
       "shipping_address.name"},
      {[](json& b) { b["shipping_address"]["floor"] = "3"; }, "unknown_field",
       "shipping_address.floor"},
      {[](json& b) { b["payment"]["card"]["number"] = "4242-4242"; }, "invalid_field",
       "payment.card.number"},
      {[](json& b) { b["payment"]["card"]["number"] = 4242424242424242; }, "invalid_field",
       "payment.card.number"},
      {[](json& b) { b["payment"]["card"]["exp_month"] = 13; }, "invalid_field",
       "payment.card.exp_month"},
      {[](json& b) { b["payment"]["card"]["exp_year"] = "2030"; }, "invalid_field",
       "payment.card.exp_year"},
      {[](json& b) { b["payment"]["card"].erase("cvc"); }, "missing_field", "payment.card.cvc"},
      {[](json& b) { b["payment"]["card"]["cvc"] = "12345"; }, "invalid_field", "payment.card.cvc"},
      {[](json& b) { b["payment"]["card"]["pin"] = "1234"; }, "unknown_field", "payment.card.pin"},
      {[](json& b) { b["payment"] = "card"; }, "invalid_field", "payment"},
  };
  for (const Case& c : cases) {
    json body = CheckoutBody();
    c.change(body);
    HttpResult r = Checkout(port(), s, NewUuid(), body);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << r.body;
    EXPECT_NE(r.json["error"].value("message", "").find("'" + c.field), std::string::npos)
        << r.body;
    EXPECT_EQ(r.body.find("4242"), std::string::npos) << r.body;
  }
  HttpResult not_json = Call(port(), "POST", "/api/v1/checkout", "{nope", [&] {
    auto h = s.Auth();
    h["Idempotency-Key"] = NewUuid();
    return h;
  }());
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(ErrorCode(not_json), "invalid_json");
  // A card that fails the payment service's checks: 400 from there, stock untouched.
  json bad_luhn = CheckoutBody("4242424242424241");
  HttpResult luhn = Checkout(port(), s, NewUuid(), bad_luhn);
  EXPECT_EQ(luhn.status, 400) << luhn.body;
  EXPECT_EQ(ErrorCode(luhn), "invalid_card");
  EXPECT_EQ(db().Stock(product), 20);
  json expired = CheckoutBody();
  expired["payment"]["card"]["exp_year"] = 2020;
  HttpResult old_card = Checkout(port(), s, NewUuid(), expired);
  EXPECT_EQ(old_card.status, 400) << old_card.body;
  EXPECT_EQ(ErrorCode(old_card), "card_expired");
  EXPECT_EQ(db().Stock(product), 20);
}

TEST_F(CheckoutApiTest, SavedAddressIsResolvedForItsOwnerOnly) {
  // A registered user (the address book needs the account), signed in for real.
  json reg = json::object();
  reg["email"] = "buyer-" + RandomHex(4) + "@example.com";
  reg["password"] = "correct horse battery staple";
  reg["name"] = "Buyer";
  ASSERT_EQ(HttpClient(port()).Post("/api/v1/users", reg).status, 201);
  json login = json::object();
  login["email"] = reg["email"];
  login["password"] = reg["password"];
  HttpResult session = HttpClient(port()).Post("/api/v1/sessions", login);
  ASSERT_EQ(session.status, 200) << session.body;
  Shopper owner;
  owner.token = session.json["access_token"];
  owner.id = session.json["user"]["id"];
  json address = Address("Saved Person");
  address["city"] = "Munich";
  HttpResult saved = Call(port(), "POST", "/api/v1/me/addresses", address.dump(), owner.Auth());
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string address_id = saved.json["id"];

  const std::string product = admin_->CreateProduct("Grater", 1500, 10);
  ASSERT_EQ(AddToCart(port(), owner, product, 1).status, 200);
  json body = CheckoutBody();
  body.erase("shipping_address");
  body["address_id"] = address_id;
  HttpResult r = Checkout(port(), owner, NewUuid(), body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["shipping_address"]["city"], "Munich");
  EXPECT_EQ(r.json["shipping_address"]["name"], "Saved Person");
  EXPECT_EQ(r.json["shipping_address"]["id"], address_id);

  Shopper stranger = WithCart(product, 1);
  HttpResult theirs = Checkout(port(), stranger, NewUuid(), body);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(ErrorCode(theirs), "address_not_found");
  EXPECT_EQ(db().Stock(product), 9);
}

TEST_F(CheckoutApiTest, OrdersAreTheirOwnersOnlyAndListedNewestFirst) {
  const std::string product = admin_->CreateProduct("Spatula", 600, 50);
  Shopper s;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(AddToCart(port(), s, product, i + 1).status, 200);
    HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody());
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(r.json["id"]);
  }
  Shopper other;
  for (const auto& id : ids) {
    HttpResult theirs = Get(other, "/api/v1/orders/" + id);
    EXPECT_EQ(theirs.status, 404) << theirs.body;
    EXPECT_EQ(ErrorCode(theirs), "order_not_found");
    EXPECT_EQ(Get(s, "/api/v1/orders/" + id).status, 200);
  }
  EXPECT_EQ(Get(other, "/api/v1/orders/not-a-uuid").status, 404);
  EXPECT_EQ(Call(port(), "GET", "/api/v1/orders/" + ids[0], "", {}).status, 401);
  HttpResult none = Get(other, "/api/v1/orders");
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(none.json["orders"].empty());

  HttpResult page1 = Get(s, "/api/v1/orders?page_size=2");
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ(page1.json["orders"].size(), 2u);
  EXPECT_EQ(page1.json["orders"][0]["id"], ids[2]);
  EXPECT_EQ(page1.json["orders"][1]["id"], ids[1]);
  EXPECT_EQ(page1.json["orders"][0]["items"][0]["quantity"], 3);
  const std::string token = page1.json["next_page_token"];
  ASSERT_FALSE(token.empty());
  HttpResult page2 = Get(s, "/api/v1/orders?page_size=2&page_token=" + token);
  ASSERT_EQ(page2.status, 200) << page2.body;
  ASSERT_EQ(page2.json["orders"].size(), 1u);
  EXPECT_EQ(page2.json["orders"][0]["id"], ids[0]);
  EXPECT_EQ(page2.json["next_page_token"], "");
  EXPECT_EQ(Get(s, "/api/v1/orders?page_size=0").status, 400);
  EXPECT_EQ(Get(s, "/api/v1/orders?page_size=101").status, 400);
  HttpResult bad_token = Get(s, "/api/v1/orders?page_token=garbage");
  EXPECT_EQ(bad_token.status, 400);
  EXPECT_EQ(ErrorCode(bad_token), "invalid_page_token");
}

TEST_F(CheckoutApiTest, BusinessMetricsCountOrdersRevenueAndCompensations) {
  const int admin = suite_->admin_port("checkout");
  const double paid_before = MetricValue(admin, R"(mercato_checkout_orders_total{outcome="paid"})");
  const double declined_before =
      MetricValue(admin, R"(mercato_checkout_orders_total{outcome="payment_declined"})");
  const double revenue_before =
      MetricValue(admin, R"(mercato_checkout_revenue_minor_units_total{currency="USD"})");
  const double released_before =
      MetricValue(admin, R"(mercato_checkout_saga_compensations_total{action="release_stock"})");
  const std::string product = admin_->CreateProduct("Peeler", 2000, 10);
  Shopper s = WithCart(product, 1);
  ASSERT_EQ(Checkout(port(), s, NewUuid(), CheckoutBody(kDeclinedCard)).status, 402);
  ASSERT_EQ(Checkout(port(), s, NewUuid(), CheckoutBody()).status, 201);
  EXPECT_EQ(MetricValue(admin, R"(mercato_checkout_orders_total{outcome="paid"})"),
            paid_before + 1);
  EXPECT_EQ(MetricValue(admin, R"(mercato_checkout_orders_total{outcome="payment_declined"})"),
            declined_before + 1);
  EXPECT_EQ(MetricValue(admin, R"(mercato_checkout_revenue_minor_units_total{currency="USD"})"),
            std::max(revenue_before, 0.0) + 2000 + 499 + 160);
  EXPECT_EQ(
      MetricValue(admin, R"(mercato_checkout_saga_compensations_total{action="release_stock"})"),
      released_before + 1);
  EXPECT_GE(MetricValue(admin, R"(mercato_checkout_recovered_orders_total{outcome="failed"})"), 0);
}

// Last: everything above sent card numbers through the gateway.
TEST_F(CheckoutApiTest, NoCardNumberInAnyDatabaseRowOrServiceLog) {
  const std::string product = admin_->CreateProduct("Scale", 3000, 10);
  Shopper s = WithCart(product, 1);
  ASSERT_EQ(Checkout(port(), s, NewUuid(), CheckoutBody(kDeclinedCard)).status, 402);
  ASSERT_EQ(Checkout(port(), s, NewUuid(), CheckoutBody()).status, 201);
  const std::vector<std::string> numbers = {kGoodCard, kDeclinedCard, kNoFundsCard,
                                            "4242424242424241"};
  for (const std::string database : {"checkout", "payment", "catalog", "users"}) {
    const std::string dump = db().Dump(database);
    EXPECT_GT(dump.size(), 100u) << database;
    for (const auto& number : numbers) {
      EXPECT_EQ(dump.find(number), std::string::npos) << number << " in database " << database;
    }
  }
  for (const std::string service : {"gateway", "checkout", "payment", "catalog", "cart", "user"}) {
    const std::string log = suite_->process(service).ReadLog();
    EXPECT_FALSE(log.empty()) << service;
    for (const auto& number : numbers) {
      EXPECT_EQ(log.find(number), std::string::npos) << number << " in the log of " << service;
    }
  }
}

}  // namespace
}  // namespace mercato::testing
