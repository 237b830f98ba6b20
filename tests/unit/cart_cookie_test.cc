// Unit tests of the gateway's Cookie header parser and Set-Cookie formatting.
#include <gtest/gtest.h>

#include "gateway/cookies.h"

namespace mercato::gateway {
namespace {

using Cookies = std::vector<Cookie>;

TEST(CookieHeaderTest, EmptyHeaderHasNoCookies) {
  EXPECT_EQ(ParseCookieHeader(""), Cookies{});
  EXPECT_EQ(ParseCookieHeader(" "), Cookies{});
  EXPECT_EQ(ParseCookieHeader(";"), Cookies{});
}

TEST(CookieHeaderTest, OnePair) {
  EXPECT_EQ(ParseCookieHeader("mercato_cart=abc-DEF_123"),
            (Cookies{{"mercato_cart", "abc-DEF_123"}}));
}

TEST(CookieHeaderTest, PairsSeparatedBySemicolonSpace) {
  EXPECT_EQ(ParseCookieHeader("a=1; b=2; mercato_cart=xyz"),
            (Cookies{{"a", "1"}, {"b", "2"}, {"mercato_cart", "xyz"}}));
}

TEST(CookieHeaderTest, ToleratesMissingOrExtraWhitespaceAroundSeparators) {
  EXPECT_EQ(ParseCookieHeader("a=1;b=2"), (Cookies{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=1 ;  b=2;\tc=3 "), (Cookies{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(ParseCookieHeader("a=1; "), (Cookies{{"a", "1"}}));
}

TEST(CookieHeaderTest, EmptyValueIsAllowed) {
  EXPECT_EQ(ParseCookieHeader("a=; b=2"), (Cookies{{"a", ""}, {"b", "2"}}));
}

TEST(CookieHeaderTest, QuotedValueLosesItsQuotes) {
  EXPECT_EQ(ParseCookieHeader("a=\"quoted\"; b=\"\""), (Cookies{{"a", "quoted"}, {"b", ""}}));
}

TEST(CookieHeaderTest, ValueMayContainEqualsSigns) {
  EXPECT_EQ(ParseCookieHeader("token=abc==; x=a=b"), (Cookies{{"token", "abc=="}, {"x", "a=b"}}));
}

TEST(CookieHeaderTest, MalformedPairsAreSkippedAndTheOthersKept) {
  EXPECT_EQ(ParseCookieHeader("novalue; a=1"), (Cookies{{"a", "1"}}));
  EXPECT_EQ(ParseCookieHeader("=orphan; a=1"), (Cookies{{"a", "1"}}));
  EXPECT_EQ(ParseCookieHeader("bad name=1; a=1"), (Cookies{{"a", "1"}}));
  EXPECT_EQ(ParseCookieHeader("b(r)acket=1; a=1"), (Cookies{{"a", "1"}}));
  EXPECT_EQ(ParseCookieHeader("a=has space; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=comma,here; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=back\\slash; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=\"unterminated; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=in\"side; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader("a=caf\xc3\xa9; b=2"), (Cookies{{"b", "2"}}));
  EXPECT_EQ(ParseCookieHeader(std::string("a=x\0y; b=2", 10)), (Cookies{{"b", "2"}}));
}

TEST(CookieHeaderTest, NamesAreCaseSensitiveAndDuplicatesKeptInOrder) {
  EXPECT_EQ(ParseCookieHeader("A=1; a=2; a=3"), (Cookies{{"A", "1"}, {"a", "2"}, {"a", "3"}}));
}

HttpRequest WithCookieHeaders(std::initializer_list<const char*> values) {
  HttpRequest request;
  for (const char* v : values) request.headers.insert(http::field::cookie, v);
  return request;
}

TEST(FindCookieTest, FindsTheFirstWellFormedCookieOfThatName) {
  EXPECT_EQ(FindCookie(WithCookieHeaders({"a=1; mercato_cart=first; mercato_cart=second"}),
                       "mercato_cart"),
            "first");
  EXPECT_EQ(
      FindCookie(WithCookieHeaders({"mercato_cart=bad value; mercato_cart=good"}), "mercato_cart"),
      "good");
}

TEST(FindCookieTest, LooksThroughEveryCookieHeader) {
  EXPECT_EQ(FindCookie(WithCookieHeaders({"a=1", "mercato_cart=xyz"}), "mercato_cart"), "xyz");
}

TEST(FindCookieTest, AbsentCookie) {
  EXPECT_EQ(FindCookie(WithCookieHeaders({}), "mercato_cart"), std::nullopt);
  EXPECT_EQ(FindCookie(WithCookieHeaders({"a=1; Mercato_Cart=x"}), "mercato_cart"), std::nullopt);
  EXPECT_EQ(FindCookie(WithCookieHeaders({"mercato_cart_x=1; xmercato_cart=2"}), "mercato_cart"),
            std::nullopt);
}

TEST(SetCookieTest, FormatsEveryAttribute) {
  EXPECT_EQ(FormatSetCookie({.name = "mercato_cart", .value = "abc", .max_age_seconds = 2592000}),
            "mercato_cart=abc; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax");
  EXPECT_EQ(
      FormatSetCookie({.name = "mercato_cart", .value = "", .max_age_seconds = 0, .secure = true}),
      "mercato_cart=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}

TEST(SetCookieTest, FormattedCookieParsesBack) {
  const std::string header = FormatSetCookie({.name = "n", .value = "v-1_2"});
  const std::string pair = header.substr(0, header.find(';'));
  EXPECT_EQ(ParseCookieHeader(pair), (Cookies{{"n", "v-1_2"}}));
}

TEST(CookieGrammarTest, NamesAndValues) {
  EXPECT_TRUE(IsCookieName("mercato_cart"));
  EXPECT_TRUE(IsCookieName("a!#$%&'*+-.^_`|~9"));
  EXPECT_FALSE(IsCookieName(""));
  EXPECT_FALSE(IsCookieName("a b"));
  EXPECT_FALSE(IsCookieName("a=b"));
  EXPECT_FALSE(IsCookieName("a;b"));
  EXPECT_TRUE(IsCookieValue(""));
  EXPECT_TRUE(IsCookieValue("AZaz09-_.!#$%&'()*+/:<=>?@[]^`{|}~"));
  EXPECT_FALSE(IsCookieValue(" "));
  EXPECT_FALSE(IsCookieValue("\""));
  EXPECT_FALSE(IsCookieValue(","));
  EXPECT_FALSE(IsCookieValue(";"));
  EXPECT_FALSE(IsCookieValue("\\"));
  EXPECT_FALSE(IsCookieValue("\x7f"));
}

}  // namespace
}  // namespace mercato::gateway
