// The shared business rules of libs/commerce: one postal-address rule for saved and inline
// addresses (issue 15, defect 9).
#include <gtest/gtest.h>

#include <string>

#include "commerce/address.h"
#include "common/status.h"

namespace mercato {
namespace {

common::v1::Address GoodAddress() {
  common::v1::Address a;
  a.set_name("  Ann Smith ");
  a.set_line1("1 Main Street");
  a.set_city("Berlin");
  a.set_postal_code("10115");
  a.set_country(" de ");
  return a;
}

TEST(AddressRuleTest, NormalisesAndKeepsTheId) {
  common::v1::Address a = GoodAddress();
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
    common::v1::Address a = GoodAddress();
    c.mutate(a);
    const absl::Status s = NormaliseAddress(a, "shipping_address.");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(ErrorCodeOf(s), "invalid_address") << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(AddressRuleTest, LengthsCountCharactersNotBytes) {
  common::v1::Address a = GoodAddress();
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "\xc3\xbc";  // 100 x 'ü', 200 bytes
  a.set_name(umlauts);
  EXPECT_TRUE(NormaliseAddress(a).ok());
  a.set_name(umlauts + "x");
  EXPECT_EQ(NormaliseAddress(a).message(), "name must be 1 to 100 characters");
}

}  // namespace
}  // namespace mercato
