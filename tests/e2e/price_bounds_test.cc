// Issue 15, defect 7: a huge admin price made POST /cart/items and GET /cart answer 500 until
// the line was removed. Black-box through the real gateway with every service behind it:
// the admin API refuses a price above the bound (400 invalid_price naming price.amount), the
// largest allowed price and quantity sum exactly, and a row stored before the bound existed
// (written straight into PostgreSQL) makes the cart and checkout answer 409
// price_out_of_range naming the line, never a 500, while the line can still be removed.
#include <gtest/gtest.h>

#include <thread>

#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;

constexpr char kPrefix[] = "price_bounds_e2e";

class PriceBoundsTest : public ShopTest<PriceBoundsTest> {
 public:
  static SuiteOptions Options() { return {.services = {"gateway"}, .database_prefix = kPrefix}; }

 protected:
  static std::map<std::string, std::string> Admin() {
    return {{"Authorization", "Bearer " + MintToken(NewUuid(), "admin")}};
  }
  static HttpResult CreateProduct(int64_t amount) {
    json body = json::object();
    body["name"] = "Bounded " + RandomHex(3);
    body["price"]["amount"] = amount;
    body["price"]["currency"] = "USD";
    body["stock"] = 500;
    body["categories"] = json::array({"kitchen"});
    return Call(port(), "POST", "/api/v1/admin/products", body.dump(), Admin());
  }
  // Waits until the catalog serves this price (its cache follows PostgreSQL's NOTIFY).
  static void AwaitPrice(const std::string& product_id, int64_t amount) {
    for (int i = 0; i < 100; ++i) {
      HttpResult r = Call(port(), "GET", "/api/v1/products/" + product_id, "", {});
      if (r.status == 200 && r.json["price"]["amount"] == amount) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the catalog never served price " << amount << " for " << product_id;
  }
};

TEST_F(PriceBoundsTest, AdminPriceAboveTheBoundIsA400NamingTheField) {
  HttpResult created = CreateProduct(1'000'000'000);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"];

  for (const int64_t amount : {int64_t{1'000'000'001}, int64_t{1} << 62}) {
    json body = json::object();
    body["price"]["amount"] = amount;
    body["price"]["currency"] = "USD";
    HttpResult patched =
        Call(port(), "PATCH", "/api/v1/admin/products/" + id, body.dump(), Admin());
    EXPECT_EQ(patched.status, 400) << patched.body;
    EXPECT_EQ(ErrorCode(patched), "invalid_price");
    EXPECT_EQ(patched.json["error"]["message"],
              "price.amount must be between 0 and 1000000000 minor units");
    HttpResult refused = CreateProduct(amount);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(ErrorCode(refused), "invalid_price");
  }
  EXPECT_EQ(db().Catalog("SELECT price_amount FROM products WHERE id = '" + id + "'"),
            "1000000000");
  // The database refuses such a price whatever the code does.
  EXPECT_EQ(db().Catalog("CREATE FUNCTION pg_temp.try_price(p uuid) RETURNS text AS $$ BEGIN "
                         "UPDATE products SET price_amount = 1000000001 WHERE id = p; RETURN "
                         "'accepted'; EXCEPTION WHEN check_violation THEN RETURN 'refused'; END "
                         "$$ LANGUAGE plpgsql; SELECT pg_temp.try_price('" +
                         id + "')"),
            "refused");
}

TEST_F(PriceBoundsTest, TheLargestPriceAndQuantitySumExactlyInTheCart) {
  HttpResult a = CreateProduct(1'000'000'000);
  HttpResult b = CreateProduct(1'000'000'000);
  ASSERT_EQ(a.status, 201);
  ASSERT_EQ(b.status, 201);
  Shopper s;
  ASSERT_EQ(AddToCart(port(), s, a.json["id"], 99).status, 200);
  HttpResult cart = AddToCart(port(), s, b.json["id"], 99);
  ASSERT_EQ(cart.status, 200) << cart.body;
  EXPECT_EQ(cart.json["items"][0]["line_total"]["amount"], 99'000'000'000);
  EXPECT_EQ(cart.json["subtotal"]["amount"], 198'000'000'000);
}

TEST_F(PriceBoundsTest, AStoredPriceAboveTheBoundIsA409NamingTheLineNeverA500) {
  const std::string cheap = admin_->CreateProduct("Cheap", 500, 50);
  const std::string legacy = admin_->CreateProduct("Legacy", 700, 50);
  Shopper s;
  ASSERT_EQ(AddToCart(port(), s, cheap, 1).status, 200);
  ASSERT_EQ(AddToCart(port(), s, legacy, 2).status, 200);
  // As a row written before the bound existed: past the trigger that now refuses it.
  const int64_t huge = int64_t{1} << 62;
  db().Catalog(absl::StrCat(
      "BEGIN; ALTER TABLE products DISABLE TRIGGER products_price_bound; UPDATE products SET "
      "price_amount = ",
      huge, " WHERE id = '", legacy,
      "'; ALTER TABLE products ENABLE TRIGGER products_price_bound; COMMIT;"));
  AwaitPrice(legacy, huge);

  HttpResult read = Call(port(), "GET", "/api/v1/cart", "", s.Auth());
  EXPECT_EQ(read.status, 409) << read.body;
  EXPECT_EQ(ErrorCode(read), "price_out_of_range");
  const std::string message = read.json["error"]["message"];
  EXPECT_NE(message.find("unit_price of product " + legacy), std::string::npos) << message;

  HttpResult add = AddToCart(port(), s, cheap, 1);
  EXPECT_EQ(add.status, 409) << add.body;
  EXPECT_EQ(ErrorCode(add), "price_out_of_range");

  HttpResult checkout = Checkout(port(), s, NewUuid(), CheckoutBody());
  EXPECT_EQ(checkout.status, 409) << checkout.body;
  EXPECT_EQ(ErrorCode(checkout), "price_out_of_range");
  EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments"), 0);

  // The line can be taken out, and the cart prices again.
  HttpResult removed = Call(port(), "DELETE", "/api/v1/cart/items/" + legacy, "", s.Auth());
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.json["subtotal"]["amount"], 500);
}

}  // namespace
}  // namespace mercato::testing
