#include "gateway/static_files.h"

#include <gtest/gtest.h>
#include <zlib.h>

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

// Decodes a gzip stream with zlib, to check the variant the server sends.
std::string Gunzip(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[4096];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return result == Z_STREAM_END ? out : "<corrupt gzip stream>";
}

// A storefront with enough text that compressing it pays, a binary image, and assets/.
class CompressedFilesTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    root_ = mercato::testing::ScratchDir("static_files_gzip_test");
    std::filesystem::remove_all(root_);  // a test below adds and changes files
    std::filesystem::create_directories(root_ + "/assets/js");
    std::filesystem::create_directories(root_ + "/images");
    for (int i = 0; i < 200; ++i) {
      big_js_ +=
          "export function f" + std::to_string(i) + "() { return " + std::to_string(i) + "; }\n";
    }
    index_ =
        "<!doctype html><html><head><title>Mercato</title>"
        "<link rel=\"stylesheet\" href=\"/assets/app.css\">"
        "<script type=\"module\" src=\"/assets/js/app.js\"></script></head>"
        "<body><main id=\"main\"></main></body></html>";
    std::ofstream(root_ + "/index.html") << index_;
    std::ofstream(root_ + "/assets/js/app.js") << big_js_;
    std::ofstream(root_ + "/assets/app.css") << "body { margin: 0; }";
    png_ = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(600, 'a');
    std::ofstream(root_ + "/images/p.png", std::ios::binary) << png_;
    auto files = StaticFiles::Load(root_);
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *std::move(files);
  }
  HttpRequest GetGzip(const std::string& path, const std::string& accept_encoding,
                      const std::string& if_none_match = "") {
    HttpRequest r = Get(path, if_none_match);
    r.headers.set(http::field::accept_encoding, accept_encoding);
    return r;
  }

  std::string big_js_;
  std::string index_;
  std::string png_;
};

TEST_F(CompressedFilesTest, GzipVariantWhenAcceptedWithItsOwnEtagAndVary) {
  auto plain = files_.Serve(Get("/assets/js/app.js"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->body, big_js_);
  EXPECT_EQ(Header(*plain, "Content-Encoding"), "");
  EXPECT_EQ(Header(*plain, "Vary"), "Accept-Encoding");

  auto gz = files_.Serve(GetGzip("/assets/js/app.js", "gzip, deflate, br"));
  ASSERT_TRUE(gz.has_value());
  EXPECT_EQ(gz->status, 200u);
  EXPECT_EQ(gz->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(*gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(*gz, "Vary"), "Accept-Encoding");
  EXPECT_LT(gz->body.size(), big_js_.size() / 4);
  EXPECT_EQ(Gunzip(gz->body), big_js_);
  EXPECT_EQ(Header(*gz, "ETag").size(), 34u);
  EXPECT_NE(Header(*gz, "ETag"), Header(*plain, "ETag"));

  // Each variant revalidates against its own ETag only.
  auto gz304 = files_.Serve(GetGzip("/assets/js/app.js", "gzip", Header(*gz, "ETag")));
  EXPECT_EQ(gz304->status, 304u);
  EXPECT_EQ(gz304->body, "");
  EXPECT_EQ(Header(*gz304, "Vary"), "Accept-Encoding");
  EXPECT_EQ(Header(*gz304, "Content-Encoding"), "");
  auto mixed = files_.Serve(Get("/assets/js/app.js", Header(*gz, "ETag")));
  EXPECT_EQ(mixed->status, 200u);
  EXPECT_EQ(mixed->body, big_js_);
}

TEST_F(CompressedFilesTest, AcceptEncodingQValuesAndWildcard) {
  struct Case {
    const char* accept_encoding;
    bool gzip;
  };
  for (const Case& c :
       {Case{"", false}, Case{"identity", false}, Case{"br, deflate", false},
        Case{"gzip;q=0", false}, Case{"GZIP", true}, Case{"x-gzip", true}, Case{"gzip;q=0.5", true},
        Case{"gzip ; q=0.000", false}, Case{"*", true}, Case{"*;q=0", false},
        Case{"*, gzip;q=0", false}, Case{"br;q=1.0, gzip;q=0.8, *;q=0.1", true}}) {
    EXPECT_EQ(AcceptsGzip(c.accept_encoding), c.gzip) << c.accept_encoding;
    auto r = files_.Serve(GetGzip("/assets/js/app.js", c.accept_encoding));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(Header(*r, "Content-Encoding"), c.gzip ? "gzip" : "") << c.accept_encoding;
  }
}

TEST_F(CompressedFilesTest, IncompressibleOrTinyFilesHaveNoVariantAndNoVary) {
  auto png = files_.Serve(GetGzip("/images/p.png", "gzip"));
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->content_type, "image/png");
  EXPECT_EQ(png->body, png_);
  EXPECT_EQ(Header(*png, "Content-Encoding"), "");
  EXPECT_EQ(Header(*png, "Vary"), "");
  // 19 bytes of CSS grow when gzipped: served as they are.
  auto css = files_.Serve(GetGzip("/assets/app.css", "gzip"));
  EXPECT_EQ(css->body, "body { margin: 0; }");
  EXPECT_EQ(Header(*css, "Content-Encoding"), "");
  EXPECT_EQ(Header(*css, "Vary"), "");
}

TEST_F(CompressedFilesTest, HtmlPointsAtVersionedImmutableAssets) {
  const std::string& prefix = files_.versioned_assets_prefix();
  ASSERT_EQ(prefix.size(), std::string("/assets/").size() + 12) << prefix;
  auto index = files_.Serve(Get("/cart"));
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(Header(*index, "Cache-Control"), "no-cache");
  EXPECT_NE(index->body.find("href=\"" + prefix + "/app.css\""), std::string::npos) << index->body;
  EXPECT_NE(index->body.find("src=\"" + prefix + "/js/app.js\""), std::string::npos);
  EXPECT_EQ(index->body.find("\"/assets/app.css"), std::string::npos);

  auto versioned = files_.Serve(Get(prefix + "/js/app.js"));
  ASSERT_TRUE(versioned.has_value());
  EXPECT_EQ(versioned->body, big_js_);
  EXPECT_EQ(Header(*versioned, "Cache-Control"), "public, max-age=31536000, immutable");
  auto unversioned = files_.Serve(Get("/assets/js/app.js"));
  EXPECT_EQ(Header(*unversioned, "Cache-Control"), "no-cache");
  EXPECT_FALSE(files_.Serve(Get("/assets/000000000000/js/app.js")).has_value());
}

TEST_F(CompressedFilesTest, AssetsVersionChangesWithTheirContentOnly) {
  const std::string before = files_.versioned_assets_prefix();
  auto same = StaticFiles::Load(root_);
  EXPECT_EQ(same->versioned_assets_prefix(), before);
  std::ofstream(root_ + "/images/q.png") << "not an asset";
  EXPECT_EQ(StaticFiles::Load(root_)->versioned_assets_prefix(), before);
  std::ofstream(root_ + "/assets/app.css") << "body { margin: 1px; }";
  EXPECT_NE(StaticFiles::Load(root_)->versioned_assets_prefix(), before);
}

TEST_F(CompressedFilesTest, HtmlCarriesSecurityHeadersOtherFilesDoNot) {
  for (const char* path : {"/", "/index.html", "/products/42"}) {
    auto r = files_.Serve(GetGzip(path, "gzip"));
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(Header(*r, "Content-Security-Policy"),
              "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'");
    EXPECT_EQ(Header(*r, "Referrer-Policy"), "same-origin");
    EXPECT_EQ(Header(*r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(Header(*r, "Content-Encoding"), "gzip");
    EXPECT_EQ(Gunzip(r->body).find("<!doctype html>"), 0u);
  }
  auto js = files_.Serve(Get("/assets/js/app.js"));
  EXPECT_EQ(Header(*js, "Content-Security-Policy"), "");
  EXPECT_EQ(Header(*js, "X-Content-Type-Options"), "nosniff");
}

TEST(ContentTypeTest, KnownAndUnknownExtensions) {
  EXPECT_EQ(ContentTypeFor("/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/a.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("/a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace mercato::gateway
