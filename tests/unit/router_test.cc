#include "gateway/router.h"

#include <gtest/gtest.h>

namespace mercato::gateway {
namespace {

Handler Named(std::string name) {
  return [name](const HttpRequest&) {
    HttpResponse r;
    r.body = name;
    return r;
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(http::verb::get, "/api/v1/products", Named("list"));
    router_.Add(http::verb::get, "/api/v1/products/{id}", Named("get"));
    router_.Add(http::verb::patch, "/api/v1/products/{id}", Named("patch"));
    router_.Add(http::verb::get, "/api/v1/products/featured", Named("featured"));
    router_.Add(http::verb::delete_, "/api/v1/cart/items/{product_id}", Named("delete"));
  }
  std::string Body(const Router::Match& m) { return m.route->handler(HttpRequest{}).body; }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralAndPlaceholderSegments) {
  auto m = router_.Find(http::verb::get, {"api", "v1", "products"});
  ASSERT_EQ(m.kind, Router::Match::kFound);
  EXPECT_EQ(Body(m), "list");
  m = router_.Find(http::verb::get, {"api", "v1", "products", "abc"});
  ASSERT_EQ(m.kind, Router::Match::kFound);
  EXPECT_EQ(Body(m), "get");
  EXPECT_EQ(m.params.at("id"), "abc");
}

TEST_F(RouterTest, FirstRegisteredPatternWins) {
  auto m = router_.Find(http::verb::get, {"api", "v1", "products", "featured"});
  ASSERT_EQ(m.kind, Router::Match::kFound);
  EXPECT_EQ(Body(m), "get");
  EXPECT_EQ(m.params.at("id"), "featured");
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  auto m = router_.Find(http::verb::post, {"api", "v1", "products", "abc"});
  EXPECT_EQ(m.kind, Router::Match::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, (std::vector<http::verb>{http::verb::get, http::verb::patch}));
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(router_.Find(http::verb::get, {"api", "v1", "nope"}).kind, Router::Match::kNotFound);
  EXPECT_EQ(router_.Find(http::verb::get, {"api", "v1", "products", "a", "b"}).kind,
            Router::Match::kNotFound);
  EXPECT_EQ(router_.Find(http::verb::get, {}).kind, Router::Match::kNotFound);
}

TEST_F(RouterTest, DecodedSegmentsKeepSlashesInsideParameters) {
  auto m = router_.Find(http::verb::delete_, {"api", "v1", "cart", "items", "a/b"});
  ASSERT_EQ(m.kind, Router::Match::kFound);
  EXPECT_EQ(m.params.at("product_id"), "a/b");
}

TEST(SplitPathTest, DropsEmptySegments) {
  EXPECT_EQ(SplitPath("/a//b/"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitPath("/").empty());
}

}  // namespace
}  // namespace mercato::gateway
