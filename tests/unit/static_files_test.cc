#include "gateway/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"

namespace mercato::gateway {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = mercato::testing::ScratchDir("static_files_test");
    std::filesystem::create_directories(root_ + "/images");
    std::ofstream(root_ + "/index.html") << "<!doctype html><title>Mercato</title>";
    std::ofstream(root_ + "/app.js") << "export const x = 1;";
    std::ofstream(root_ + "/images/p.svg") << "<svg/>";
    auto files = StaticFiles::Load(root_);
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *std::move(files);
  }
  HttpRequest Get(const std::string& path, const std::string& if_none_match = "") {
    HttpRequest r;
    r.path = path;
    if (!if_none_match.empty()) r.headers.set(http::field::if_none_match, if_none_match);
    return r;
  }
  std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  std::string root_;
  StaticFiles files_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndCaching) {
  auto js = files_.Serve(Get("/app.js"));
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200u);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->body, "export const x = 1;");
  EXPECT_EQ(Header(*js, "Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(Header(*js, "ETag").size(), 34u);  // quoted 32 hex digits
  auto svg = files_.Serve(Get("/images/p.svg"));
  ASSERT_TRUE(svg.has_value());
  EXPECT_EQ(svg->content_type, "image/svg+xml");
}

TEST_F(StaticFilesTest, RootAndDeepLinksServeIndexWithoutCaching) {
  for (const char* path : {"/", "/products/123", "/cart", "/orders/abc/details"}) {
    auto r = files_.Serve(Get(path));
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(Header(*r, "Cache-Control"), "no-cache");
    EXPECT_EQ(r->body, "<!doctype html><title>Mercato</title>");
  }
}

TEST_F(StaticFilesTest, MissingFileWithExtensionIsNotServed) {
  EXPECT_FALSE(files_.Serve(Get("/missing.js")).has_value());
  EXPECT_FALSE(files_.Serve(Get("/images/nope.svg")).has_value());
}

TEST_F(StaticFilesTest, MatchingEtagGives304WithoutBody) {
  auto first = files_.Serve(Get("/app.js"));
  auto second = files_.Serve(Get("/app.js", Header(*first, "ETag")));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 304u);
  EXPECT_EQ(second->body, "");
  auto stale = files_.Serve(Get("/app.js", "\"other\""));
  EXPECT_EQ(stale->status, 200u);
}

TEST_F(StaticFilesTest, EmptyRootServesNothingAndMissingRootFails) {
  auto none = StaticFiles::Load("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->Serve(Get("/")).has_value());
  EXPECT_EQ(StaticFiles::Load("/nonexistent/dir").status().code(), absl::StatusCode::kNotFound);
}

TEST(ContentTypeTest, KnownAndUnknownExtensions) {
  EXPECT_EQ(ContentTypeFor("/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/a.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("/a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace mercato::gateway
