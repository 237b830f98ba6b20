// The shared business rules of libs/commerce: one postal-address rule for saved and inline
// addresses (issue 15, defect 9) and the bounds on money that keep every sum in int64
// (issue 15, defect 7).
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "commerce/address.h"
#include "commerce/money.h"
#include "common/status.h"
#include "support/addresses.h"

namespace mercato {
namespace {

using mercato::testing::UntidyGoodAddress;

TEST(AddressRuleTest, NormalisesAndKeepsTheId) {
  common::v1::Address a = UntidyGoodAddress();
  a.set_id("saved-1");
  ASSERT_TRUE(NormaliseAddress(a, "shipping_address.").ok());
  EXPECT_EQ(a.name(), "Ann Smith");
  EXPECT_EQ(a.country(), "DE");
  EXPECT_EQ(a.id(), "saved-1");
}

TEST(AddressRuleTest, ControlCharactersAnywhereAreRefusedNamingTheFieldWithItsPrefix) {
  struct Case {
    void (*mutate)(common::v1::Address&);
    const char* message;
  };
  const Case cases[] = {
      {[](common::v1::Address& a) { a.set_name(std::string("a\0b", 3)); },
       "shipping_address.name must not contain control characters"},
      {[](common::v1::Address& a) { a.set_line1(std::string("1 Main\0St", 9)); },
       "shipping_address.line1 must not contain control characters"},
      {[](common::v1::Address& a) { a.set_line2("c/o\nBob"); },
       "shipping_address.line2 must not contain control characters"},
      {[](common::v1::Address& a) { a.set_region("B\x7f"); },
       "shipping_address.region must not contain control characters"},
      {[](common::v1::Address& a) {
         a.set_postal_code(
             "10\x1b"
             "115");
       },
       "shipping_address.postal_code must not contain control characters"},
      {[](common::v1::Address& a) { a.set_city(std::string(101, 'x')); },
       "shipping_address.city must be 1 to 100 characters"},
      {[](common::v1::Address& a) { a.set_country("XX"); },
       "shipping_address.country must be an ISO 3166-1 alpha-2 code such as \"DE\""},
  };
  for (const Case& c : cases) {
    common::v1::Address a = UntidyGoodAddress();
    c.mutate(a);
    const absl::Status s = NormaliseAddress(a, "shipping_address.");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(ErrorCodeOf(s), "invalid_address") << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(AddressRuleTest, LengthsCountCharactersNotBytes) {
  common::v1::Address a = UntidyGoodAddress();
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "\xc3\xbc";  // 100 x 'ü', 200 bytes
  a.set_name(umlauts);
  EXPECT_TRUE(NormaliseAddress(a).ok());
  a.set_name(umlauts + "x");
  EXPECT_EQ(NormaliseAddress(a).message(), "name must be 1 to 100 characters");
}

TEST(MoneyBoundsTest, UnitPriceBounds) {
  EXPECT_TRUE(IsValidUnitPrice(0));
  EXPECT_TRUE(IsValidUnitPrice(kMaxUnitPrice));
  EXPECT_FALSE(IsValidUnitPrice(kMaxUnitPrice + 1));
  EXPECT_FALSE(IsValidUnitPrice(-1));
  EXPECT_EQ(kMaxUnitPrice, 1'000'000'000);
}

TEST(MoneyBoundsTest, LineTotalIsExactWithinTheBoundsAndA409NamingTheFieldOutside) {
  auto total = LineTotal(kMaxUnitPrice, 99, "items[0].unit_price");
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 99'000'000'000);

  auto huge = LineTotal(int64_t{1} << 62, 2, "items[3].unit_price");
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(huge.status()), "price_out_of_range");
  EXPECT_EQ(huge.status().message(),
            "items[3].unit_price must be between 0 and 1000000000 minor units; the product's "
            "price needs correcting");
  EXPECT_EQ(ErrorCodeOf(LineTotal(-1, 1, "p").status()), "price_out_of_range");
  EXPECT_EQ(ErrorCodeOf(LineTotal(1, -1, "p").status()), "invalid_quantity");
  auto overflow = LineTotal(kMaxUnitPrice, std::numeric_limits<int64_t>::max(), "line");
  EXPECT_EQ(ErrorCodeOf(overflow.status()), "price_out_of_range");
  EXPECT_EQ(overflow.status().message(), "line times the quantity is too large");
}

TEST(MoneyBoundsTest, AddAmountRefusesOverflowAndLeavesTheSum) {
  int64_t sum = std::numeric_limits<int64_t>::max() - 1;
  EXPECT_TRUE(AddAmount(sum, 1, "subtotal").ok());
  EXPECT_EQ(sum, std::numeric_limits<int64_t>::max());
  const absl::Status s = AddAmount(sum, 1, "subtotal");
  EXPECT_EQ(ErrorCodeOf(s), "price_out_of_range");
  EXPECT_EQ(s.message(), "subtotal is too large");
  EXPECT_EQ(sum, std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace mercato
