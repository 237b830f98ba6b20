#include "gateway/json_fields.h"

#include <gtest/gtest.h>

#include "common/status.h"

namespace mercato::gateway {
namespace {

TEST(JsonFieldsTest, StringPresenceModes) {
  Json body = Json::parse(R"({"a":"x","empty":"","n":5,"null":null})");
  EXPECT_EQ(*StringField(body, "a", "a", Presence::kRequiredNonEmpty), "x");
  EXPECT_EQ(*StringField(body, "empty", "empty", Presence::kRequired), "");
  EXPECT_EQ(*StringField(body, "missing", "missing", Presence::kOptional), "");
  EXPECT_EQ(*StringField(body, "null", "null", Presence::kOptional), "");
  auto empty = StringField(body, "empty", "x.empty", Presence::kRequiredNonEmpty);
  EXPECT_EQ(ErrorCodeOf(empty.status()), "missing_field");
  EXPECT_EQ(empty.status().message(), "'x.empty' is required");
  auto number = StringField(body, "n", "x.n", Presence::kOptional);
  EXPECT_EQ(ErrorCodeOf(number.status()), "invalid_field");
  EXPECT_EQ(number.status().message(), "'x.n' must be a string");
}

TEST(JsonFieldsTest, IntegersWithinBounds) {
  Json body = Json::parse(R"({"m":12,"big":18446744073709551615,"neg":-1,"f":1.5,"s":"3"})");
  EXPECT_EQ(*IntField(body, "m", "m", 1, 12), 12);
  for (const char* name : {"big", "neg", "f", "s"}) {
    auto v = IntField(body, name, name, 0, 100);
    EXPECT_EQ(ErrorCodeOf(v.status()), "invalid_field") << name;
  }
  EXPECT_EQ(IntField(body, "m", "m", 1, 11).status().message(),
            "'m' must be an integer from 1 to 11");
  EXPECT_EQ(ErrorCodeOf(IntField(body, "none", "none", 0, 1).status()), "missing_field");
}

TEST(JsonFieldsTest, UnknownMembersAreNamedWithTheirPathButShortened) {
  Json body = Json::parse(R"({"ok":1})");
  body[std::string(100, 'k')] = 1;
  absl::Status s = OnlyFields(body, "payment.card", {"ok"});
  EXPECT_EQ(ErrorCodeOf(s), "unknown_field");
  EXPECT_EQ(s.message(), "unknown field 'payment.card." + std::string(40, 'k') + "...'");
}

TEST(JsonFieldsTest, AddressWithAndWithoutId) {
  Json json = Json::parse(R"({"name":"Ann","line1":"1 Main St","city":"Springfield",
                              "country":"US","postal_code":"62701"})");
  auto a = AddressFromJson(json, "shipping_address", Presence::kRequiredNonEmpty, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->postal_code(), "62701");
  EXPECT_EQ(a->line2(), "");
  EXPECT_EQ(AddressJson(*a)["city"], "Springfield");
  json["id"] = "x";
  auto refused = AddressFromJson(json, "shipping_address", Presence::kRequiredNonEmpty, false);
  EXPECT_EQ(refused.status().message(), "unknown field 'shipping_address.id'");
  EXPECT_EQ(AddressFromJson(json, "", Presence::kRequired, true)->id(), "x");
  json.erase("city");
  EXPECT_EQ(AddressFromJson(json, "", Presence::kRequired, true).status().message(),
            "'city' is required");
  EXPECT_EQ(AddressFromJson(Json::array(), "shipping_address", Presence::kRequired, false)
                .status()
                .message(),
            "'shipping_address' must be an object");
}

}  // namespace
}  // namespace mercato::gateway
