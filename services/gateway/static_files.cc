#include "gateway/static_files.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mercato::gateway {
namespace {

std::string Etag(const std::string& content) {
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(content.data()),
                     content.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return absl::StrCat("\"", hex, "\"");
}

}  // namespace

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const auto ext = std::filesystem::path(path).extension().string();
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

absl::StatusOr<StaticFiles> StaticFiles::Load(const std::string& root) {
  StaticFiles files;
  if (root.empty()) return files;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat("web root ", root, " is not a directory"));
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const std::string url = "/" + fs::relative(it->path(), root).generic_string();
    File file;
    file.content = content.str();
    file.content_type = ContentTypeFor(url);
    file.etag = Etag(file.content);
    file.cache_control =
        absl::EndsWith(url, ".html") ? "no-cache" : "public, max-age=3600";
    files.files_[url] = std::move(file);
  }
  if (ec) return absl::InternalError(absl::StrCat("reading ", root, ": ", ec.message()));
  return files;
}

HttpResponse StaticFiles::Respond(const File& file, const HttpRequest& request) const {
  HttpResponse response;
  response.content_type = file.content_type;
  response.Header("ETag", file.etag);
  response.Header("Cache-Control", file.cache_control);
  response.Header("X-Content-Type-Options", "nosniff");
  if (request.Header(http::field::if_none_match) == file.etag) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.body = file.content;
  return response;
}

std::optional<HttpResponse> StaticFiles::Serve(const HttpRequest& request) const {
  if (files_.empty()) return std::nullopt;
  std::string path = request.path;
  if (path.empty() || path == "/") path = "/index.html";
  if (auto it = files_.find(path); it != files_.end()) return Respond(it->second, request);
  // A path with a file extension that does not exist is a real 404; anything else is a
  // client-side route of the single-page app.
  const auto last = path.substr(path.rfind('/') + 1);
  if (last.find('.') != std::string::npos) return std::nullopt;
  if (auto it = files_.find("/index.html"); it != files_.end()) {
    return Respond(it->second, request);
  }
  return std::nullopt;
}

}  // namespace mercato::gateway
