// The storefront's static files, read into memory at start-up and served with a strong
// ETag (304 on If-None-Match) and Cache-Control. Paths that name no file and do not look
// like a file ("/products/42", "/cart") get index.html, so deep links load the app.
#pragma once

#include <map>
#include <optional>
#include <string>

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

 private:
  struct File {
    std::string content;
    std::string content_type;
    std::string etag;
    // index.html is revalidated on every load; other assets may be cached for a while.
    std::string cache_control;
  };
  HttpResponse Respond(const File& file, const HttpRequest& request) const;

  std::map<std::string, File> files_;  // "/app.js" -> file
};

// The Content-Type for a file name by extension.
std::string ContentTypeFor(const std::string& path);

}  // namespace mercato::gateway
