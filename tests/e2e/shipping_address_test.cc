// Issue 15, defect 9: an inline shipping address skipped the address validation that saved
// addresses get ("a\u0000b" was accepted, charged and stored truncated). Black-box through the
// real gateway with every service behind it: one rule (commerce/address.h) for both, so the
// inline address that a saved address would refuse is refused with the same 400, before
// anything is reserved or charged; an accepted one is stored as it would be saved.
#include <gtest/gtest.h>

#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;

constexpr char kPrefix[] = "shipping_address_e2e";

class ShippingAddressTest : public ShopTest<ShippingAddressTest> {
 public:
  static SuiteOptions Options() { return {.services = {"gateway"}, .database_prefix = kPrefix}; }
};

TEST_F(ShippingAddressTest, InlineAndSavedAddressesAreRefusedAlikeBeforeAnythingIsCharged) {
  const std::string product = admin_->CreateProduct("Address check", 1500, 20);
  struct Case {
    const char* field;
    std::string value;
    const char* message;
  };
  const Case cases[] = {
      {"name", std::string("a\0b", 3), "name must not contain control characters"},
      {"line1", std::string("1 Main\0Street", 13), "line1 must not contain control characters"},
      {"city", "Ber\nlin", "city must not contain control characters"},
      {"postal_code", std::string(21, '1'), "postal_code must be at most 20 characters"},
      {"country", "XX", "country must be an ISO 3166-1 alpha-2 code such as \"DE\""},
  };
  for (const Case& c : cases) {
    Shopper s;
    ASSERT_EQ(AddToCart(port(), s, product, 1).status, 200);
    json body = CheckoutBody();
    body["shipping_address"][c.field] = c.value;

    HttpResult inline_address = Checkout(port(), s, NewUuid(), body);
    EXPECT_EQ(inline_address.status, 400) << c.field << ": " << inline_address.body;
    EXPECT_EQ(ErrorCode(inline_address), "invalid_address") << c.field;
    EXPECT_EQ(inline_address.json["error"]["message"],
              std::string("shipping_address.") + c.message);

    HttpResult saved =
        Call(port(), "POST", "/api/v1/me/addresses", body["shipping_address"].dump(), s.Auth());
    EXPECT_EQ(saved.status, 400) << c.field << ": " << saved.body;
    EXPECT_EQ(ErrorCode(saved), "invalid_address") << c.field;
    EXPECT_EQ(saved.json["error"]["message"], c.message);

    EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id + "'"),
              0)
        << c.field;
  }
  EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments"), 0);
  EXPECT_EQ(db().Stock(product), 20);
}

TEST_F(ShippingAddressTest, AnAcceptedInlineAddressIsStoredAsASavedOneWouldBe) {
  const std::string product = admin_->CreateProduct("Address kept", 1500, 20);
  Shopper s;
  ASSERT_EQ(AddToCart(port(), s, product, 1).status, 200);
  json body = CheckoutBody();
  body["shipping_address"]["name"] = "  Ann Buyer ";
  body["shipping_address"]["city"] = "M\xc3\xbcnchen";
  body["shipping_address"]["country"] = " de";
  HttpResult r = Checkout(port(), s, NewUuid(), body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["shipping_address"]["name"], "Ann Buyer");
  EXPECT_EQ(r.json["shipping_address"]["city"], "M\xc3\xbcnchen");
  EXPECT_EQ(r.json["shipping_address"]["country"], "DE");
  EXPECT_EQ(db().Checkout("SELECT ship_name || '|' || ship_city || '|' || ship_country FROM orders "
                          "WHERE user_id = '" +
                          s.id + "'"),
            "Ann Buyer|M\xc3\xbcnchen|DE");
}

}  // namespace
}  // namespace mercato::testing
