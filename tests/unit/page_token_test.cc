#include "catalog/page_token.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace mercato::catalog {
namespace {

constexpr char kId[] = "91ed0d41-7dda-545c-a539-9d5e8e9947f2";

TEST(PageTokenTest, BrowseCursorRoundTrips) {
  ProductCursor c{.name = "Chef's Knife — Pro", .rank = "", .id = kId};
  std::string token = EncodePageToken(c, "kitchen", "");
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos);  // URL-safe, unpadded
  auto back = DecodePageToken(token, "kitchen", "");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, c.name);
  EXPECT_EQ(back->id, c.id);
}

TEST(PageTokenTest, SearchCursorRoundTripsTheRankExactly) {
  ProductCursor c{.name = "", .rank = "0.0607927", .id = kId};
  auto back = DecodePageToken(EncodePageToken(c, "", "knife"), "", "knife");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rank, "0.0607927");
}

TEST(PageTokenTest, TokenForOtherFiltersIsRefused) {
  std::string token = EncodePageToken({.name = "a", .rank = "", .id = kId}, "kitchen", "");
  auto s = DecodePageToken(token, "books", "");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "page_token was issued for different filters");
  EXPECT_EQ(DecodePageToken(token, "kitchen", "pan").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, GarbageIsInvalidArgument) {
  for (const std::string& bad :
       {std::string("garbage"), std::string("!!!"), std::string("e30"),  // "{}"
        std::string(3000, 'a'), EncodePageToken({.name = "a", .rank = "", .id = "x"}, "", "")}) {
    auto s = DecodePageToken(bad, "", "");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// Found by tests/fuzz/page_token_fuzzer: a "v" of another type threw instead of refusing.
TEST(PageTokenTest, VersionOfAnotherTypeIsInvalidArgument) {
  const char* docs[] = {R"({"v":"x"})",
                        R"({"v":[1]})",
                        R"({"v":null})",
                        R"({"v":{}})",
                        R"({"v":1.5,"f":"x","i":"x","n":"a"})",
                        R"({"v":true})"};
  for (const char* doc : docs) {
    auto s = DecodePageToken(absl::WebSafeBase64Escape(doc), "", "");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << doc;
    EXPECT_EQ(s.status().message(), "invalid page_token") << doc;
  }
}

TEST(PageTokenTest, ForgedRankIsRefused) {
  std::string token =
      EncodePageToken({.name = "", .rank = "1; DROP TABLE products", .id = kId}, "", "q");
  EXPECT_EQ(DecodePageToken(token, "", "q").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mercato::catalog
