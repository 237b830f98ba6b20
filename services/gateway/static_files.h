// The storefront's static files, read into memory at start-up and served with a strong
// ETag (304 on If-None-Match) and Cache-Control. Paths that name no file and do not look
// like a file ("/products/42", "/cart") get index.html, so deep links load the app.
//
// Text files (HTML, CSS, JavaScript, JSON, SVG, ...) are also gzip-compressed once, at load
// time; a client whose Accept-Encoding allows gzip gets that variant, with its own ETag,
// `Content-Encoding: gzip` and `Vary: Accept-Encoding`.
//
// Caching:
//   *.html                   no-cache (revalidated on every load, so a deploy shows at once)
//   /assets/<version>/...    immutable for a year; <version> is a hash of everything under
//                            assets/, and every `"/assets/` in an HTML file is rewritten to
//                            `"/assets/<version>/` at load time, so a changed script or style
//                            sheet gets a new URL (modules importing "./x.js" inherit it)
//   /assets/... (unversioned) no-cache
//   anything else            public, max-age=3600 (product images are named by product id)
//
// HTML responses carry a Content-Security-Policy that allows only this origin, plus
// Referrer-Policy; every response carries X-Content-Type-Options: nosniff.
//
//   auto files = StaticFiles::Load("/srv/web");
//   if (auto response = files->Serve(request)) return *response;  // else 404
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gateway/http_types.h"

namespace mercato::gateway {

class StaticFiles {
 public:
  // Loads every regular file under `root` (recursively). An empty root serves nothing.
  static absl::StatusOr<StaticFiles> Load(const std::string& root);

  // The response for a GET of `path` (as sent, percent-encoded), or nullopt when this is not
  // a storefront path (so the caller answers 404).
  std::optional<HttpResponse> Serve(const HttpRequest& request) const;

  size_t size() const { return files_.size(); }

  // "/assets/<version>", where the files under assets/ are served immutably; empty when
  // there is no assets/ directory.
  const std::string& versioned_assets_prefix() const { return assets_prefix_; }

 private:
  struct File {
    std::string content;
    std::string content_type;
    std::string etag;
    std::string cache_control;
    // The gzip variant, when the type is compressible and compressing made it smaller.
    std::string gzip_content;
    std::string gzip_etag;
    bool is_html = false;
  };
  // A file served at `url`, with its type, ETag and gzip variant.
  static File NewFile(const std::string& url, std::string content, std::string cache_control);
  HttpResponse Respond(const File& file, const HttpRequest& request) const;

  std::map<std::string, File> files_;  // "/app.js" -> file
  std::string assets_prefix_;
};

// The Content-Type for a file name by extension.
std::string ContentTypeFor(const std::string& path);

// Whether an Accept-Encoding header value allows a gzip-encoded response (RFC 9110 section
// 12.5.3): "gzip" or "x-gzip" with a q-value above 0, or else "*" with a q-value above 0.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace mercato::gateway
