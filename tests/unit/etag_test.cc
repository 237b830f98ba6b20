#include "gateway/etag.h"

#include <gtest/gtest.h>

namespace mercato::gateway {
namespace {

TEST(BodyEtagTest, QuotedXxh3OfTheBody) {
  EXPECT_EQ(BodyEtag(""), "\"2d06800538d394c2\"");  // XXH3-64 of nothing, seed 0
  EXPECT_EQ(BodyEtag("{}"), BodyEtag("{}"));
  EXPECT_NE(BodyEtag("{\"a\":1}"), BodyEtag("{\"a\":2}"));
  EXPECT_EQ(BodyEtag("{}").size(), 18u);
}

TEST(BodyEtagTest, LongBodiesDifferingInOneByte) {
  std::string body(7000, 'x');
  const std::string before = BodyEtag(body);
  body[6999] = 'y';
  EXPECT_NE(BodyEtag(body), before);
  body[6999] = 'x';
  EXPECT_EQ(BodyEtag(body), before);
}

TEST(IfNoneMatchTest, ListsWeakTagsAndWildcard) {
  EXPECT_TRUE(IfNoneMatchMatches("\"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", \"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchMatches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchMatches("\"a\"", "W/\"a\""));
  EXPECT_TRUE(IfNoneMatchMatches("*", "\"a\""));
  EXPECT_FALSE(IfNoneMatchMatches("", "\"a\""));
  EXPECT_FALSE(IfNoneMatchMatches("\"ab\"", "\"a\""));
  EXPECT_FALSE(IfNoneMatchMatches("a", "\"a\""));
}

}  // namespace
}  // namespace mercato::gateway
