// Unit tests of the pricing rules (pricing.h): catalog prices per line, flat shipping with a
// free threshold, 8 % tax rounded half up, one currency, and the refusals.
#include <gtest/gtest.h>

#include <limits>

#include "checkout/pricing.h"
#include "commerce/money.h"
#include "common/status.h"

namespace mercato::checkout {
namespace {

catalog::v1::Product P(const std::string& id, int64_t price, const std::string& currency = "USD") {
  catalog::v1::Product p;
  p.set_id(id);
  p.set_name("Product " + id);
  p.mutable_price()->set_amount(price);
  p.mutable_price()->set_currency(currency);
  return p;
}

TEST(PricingTest, ShippingIsFlatBelowTheThresholdAndFreeFromIt) {
  EXPECT_EQ(ShippingFor(0), 499);
  EXPECT_EQ(ShippingFor(1), 499);
  EXPECT_EQ(ShippingFor(4999), 499);
  EXPECT_EQ(ShippingFor(5000), 0);
  EXPECT_EQ(ShippingFor(123456), 0);
}

TEST(PricingTest, TaxIsEightPercentRoundedHalfUp) {
  EXPECT_EQ(TaxFor(0), 0);
  EXPECT_EQ(TaxFor(1), 0);        // 0.08
  EXPECT_EQ(TaxFor(6), 0);        // 0.48
  EXPECT_EQ(TaxFor(7), 1);        // 0.56
  EXPECT_EQ(TaxFor(1006), 80);    // 80.48
  EXPECT_EQ(TaxFor(1999), 160);   // 159.92
  EXPECT_EQ(TaxFor(5099), 408);   // 407.92
  EXPECT_EQ(TaxFor(10000), 800);  // exact
  EXPECT_EQ(TaxFor(kMaxSubtotal), kMaxSubtotal / 100 * 8);
}

TEST(PricingTest, PricesEveryLineFromTheCatalogInCartOrder) {
  std::unordered_map<std::string, catalog::v1::Product> products = {{"a", P("a", 2599)},
                                                                    {"b", P("b", 1250)}};
  auto priced = PriceOrder({{"b", 2}, {"a", 1}}, products);
  ASSERT_TRUE(priced.ok()) << priced.status();
  ASSERT_EQ(priced->items.size(), 2u);
  EXPECT_EQ(priced->items[0].product_id(), "b");
  EXPECT_EQ(priced->items[0].name(), "Product b");
  EXPECT_EQ(priced->items[0].quantity(), 2);
  EXPECT_EQ(priced->items[0].unit_price().amount(), 1250);
  EXPECT_EQ(priced->items[0].unit_price().currency(), "USD");
  EXPECT_EQ(priced->items[0].line_total().amount(), 2500);
  EXPECT_EQ(priced->items[1].line_total().amount(), 2599);
  EXPECT_EQ(priced->currency, "USD");
  EXPECT_EQ(priced->subtotal, 5099);
  EXPECT_EQ(priced->shipping, 0);
  EXPECT_EQ(priced->tax, 408);
  EXPECT_EQ(priced->total, 5507);
}

TEST(PricingTest, FreeItemsCostOnlyShipping) {
  auto priced = PriceOrder({{"a", 3}}, {{"a", P("a", 0)}});
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced->subtotal, 0);
  EXPECT_EQ(priced->tax, 0);
  EXPECT_EQ(priced->total, 499);
}

TEST(PricingTest, Refusals) {
  auto code = [](const absl::StatusOr<PricedOrder>& r) { return ErrorCodeOf(r.status()); };
  EXPECT_EQ(code(PriceOrder({}, {})), "cart_empty");
  EXPECT_EQ(PriceOrder({}, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(PriceOrder({{"gone", 1}}, {{"a", P("a", 1)}})), "product_unavailable");
  EXPECT_EQ(code(PriceOrder({{"a", 1}, {"e", 1}}, {{"a", P("a", 1)}, {"e", P("e", 1, "EUR")}})),
            "mixed_currency");
  EXPECT_EQ(code(PriceOrder({{"a", 0}}, {{"a", P("a", 1)}})), "invalid_quantity");
  // A unit price outside the catalog's bounds (a row stored before they existed) is a 409
  // naming the line, whatever the quantity.
  auto huge = PriceOrder({{"a", 2}}, {{"a", P("a", std::numeric_limits<int64_t>::max())}});
  EXPECT_EQ(code(huge), "price_out_of_range");
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(huge.status().message(),
            "items[0].unit_price of product a must be between 0 and 1000000000 minor units; "
            "the product's price needs correcting");
  EXPECT_EQ(code(PriceOrder({{"a", 1}}, {{"a", P("a", kMaxUnitPrice + 1)}})), "price_out_of_range");
  EXPECT_EQ(code(PriceOrder({{"a", 1}}, {{"a", P("a", -5)}})), "price_out_of_range");
  // Within the bounds only an absurd quantity can exceed kMaxSubtotal; it never overflows.
  EXPECT_EQ(code(PriceOrder({{"a", std::numeric_limits<int32_t>::max()}},
                            {{"a", P("a", kMaxUnitPrice)}})),
            "order_too_large");
  EXPECT_EQ(code(PriceOrder({{"a", 900'001}}, {{"a", P("a", kMaxUnitPrice)}})), "order_too_large");
  auto largest = PriceOrder({{"a", 900'000}}, {{"a", P("a", kMaxUnitPrice)}});
  ASSERT_TRUE(largest.ok()) << largest.status();
  EXPECT_EQ(largest->subtotal, kMaxSubtotal);
  EXPECT_EQ(largest->tax, kMaxSubtotal / 100 * 8);
}

}  // namespace
}  // namespace mercato::checkout
