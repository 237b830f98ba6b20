#include "gateway/static_files.h"

#include <sodium.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/etag.h"

namespace mercato::gateway {
namespace {

constexpr char kAssetsDir[] = "/assets/";

// Only this origin may supply scripts, styles, images, fonts and API calls; no plugins, no
// <base> tricks, no framing (clickjacking), forms post back here only.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

std::string Hex(const unsigned char* digest, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, size);
  hex.pop_back();
  return hex;
}

std::string Etag(const std::string& content) {
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(content.data()),
                     content.size(), nullptr, 0);
  return absl::StrCat("\"", Hex(digest, sizeof digest), "\"");
}

bool IsCompressible(const std::string& content_type) {
  return absl::StartsWith(content_type, "text/") ||
         absl::StartsWith(content_type, "application/json") ||
         absl::StartsWith(content_type, "application/manifest+json") ||
         absl::StartsWith(content_type, "image/svg+xml");
}

// The gzip (RFC 1952) encoding of `content` at the best compression level: this runs once per
// file at start-up, so the smallest output is worth the time. Empty on failure.
std::string Gzip(const std::string& content) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, content.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  stream.avail_in = static_cast<uInt>(content.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END ? out : std::string();
}

// The q-value of one Accept-Encoding element's parameters ("q=0.5"); 1 when absent.
bool QualityIsPositive(absl::string_view params) {
  for (absl::string_view param : absl::StrSplit(params, ';')) {
    param = absl::StripAsciiWhitespace(param);
    if (param.size() < 2 || absl::AsciiStrToLower(param.substr(0, 2)) != "q=") continue;
    absl::string_view value = absl::StripAsciiWhitespace(param.substr(2));
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ): zero is "0", "0.", "0.0"...
    if (value.empty()) return false;
    for (char c : value) {
      if (c != '0' && c != '.') return true;
    }
    return false;
  }
  return true;
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

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;
  std::optional<bool> any;
  for (absl::string_view element :
       absl::StrSplit(absl::string_view(accept_encoding.data(), accept_encoding.size()), ',')) {
    const size_t semicolon = element.find(';');
    const std::string coding =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(element.substr(0, semicolon)));
    const bool positive =
        semicolon == absl::string_view::npos || QualityIsPositive(element.substr(semicolon + 1));
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = gzip.value_or(false) || positive;
    } else if (coding == "*") {
      any = positive;
    }
  }
  return gzip.has_value() ? *gzip : any.value_or(false);
}

namespace {

// Every regular file under `root` by URL path ("/app.js"), sorted, so the assets version is
// stable.
absl::StatusOr<std::map<std::string, std::string>> ReadTree(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat("web root ", root, " is not a directory"));
  }
  std::map<std::string, std::string> contents;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    contents["/" + fs::relative(it->path(), root).generic_string()] = content.str();
  }
  if (ec) return absl::InternalError(absl::StrCat("reading ", root, ": ", ec.message()));
  return contents;
}

// One version for everything under assets/, a hash of their names and contents:
// "/assets/<version>/", or empty when there are no assets.
std::string VersionedAssetsDir(const std::map<std::string, std::string>& contents) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, crypto_generichash_BYTES);
  bool has_assets = false;
  for (const auto& [url, content] : contents) {
    if (!absl::StartsWith(url, kAssetsDir)) continue;
    has_assets = true;
    for (const std::string* part : {&url, &content}) {
      crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part->data()),
                                part->size() + 1);  // with the terminating NUL as a separator
    }
  }
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash_final(&state, digest, sizeof digest);
  return has_assets ? absl::StrCat(kAssetsDir, Hex(digest, 6), "/") : std::string();
}

}  // namespace

StaticFiles::File StaticFiles::NewFile(const std::string& url, std::string content,
                                       std::string cache_control) {
  File file;
  file.content = std::move(content);
  file.content_type = ContentTypeFor(url);
  file.is_html = absl::EndsWith(url, ".html");
  file.etag = Etag(file.content);
  file.cache_control = std::move(cache_control);
  if (IsCompressible(file.content_type)) {
    std::string gzip = Gzip(file.content);
    if (!gzip.empty() && gzip.size() < file.content.size()) {
      file.gzip_etag = Etag(gzip);
      file.gzip_content = std::move(gzip);
    }
  }
  return file;
}

absl::StatusOr<StaticFiles> StaticFiles::Load(const std::string& root) {
  StaticFiles files;
  if (root.empty()) return files;
  auto contents = ReadTree(root);
  if (!contents.ok()) return contents.status();
  const std::string versioned_dir = VersionedAssetsDir(*contents);
  const bool has_assets = !versioned_dir.empty();
  if (has_assets) files.assets_prefix_ = versioned_dir.substr(0, versioned_dir.size() - 1);
  auto add = [&files](const std::string& url, std::string content, std::string cache_control) {
    files.files_[url] = NewFile(url, std::move(content), std::move(cache_control));
  };
  for (auto& [url, content] : *contents) {
    if (absl::EndsWith(url, ".html")) {
      if (has_assets) {
        content = absl::StrReplaceAll(
            content, {{absl::StrCat("\"", kAssetsDir), absl::StrCat("\"", versioned_dir)}});
      }
      add(url, std::move(content), "no-cache");
    } else if (absl::StartsWith(url, kAssetsDir)) {
      add(absl::StrCat(versioned_dir, url.substr(sizeof kAssetsDir - 1)), content,
          "public, max-age=31536000, immutable");
      add(url, std::move(content), "no-cache");
    } else {
      add(url, std::move(content), "public, max-age=3600");
    }
  }
  return files;
}

HttpResponse StaticFiles::Respond(const File& file, const HttpRequest& request) const {
  const bool gzip =
      !file.gzip_content.empty() && AcceptsGzip(request.Header(http::field::accept_encoding));
  const std::string& etag = gzip ? file.gzip_etag : file.etag;
  HttpResponse response;
  response.content_type = file.content_type;
  response.Header("ETag", etag);
  response.Header("Cache-Control", file.cache_control);
  // Caches must key the response on Accept-Encoding whenever there is a choice to make.
  if (!file.gzip_content.empty()) response.Header("Vary", "Accept-Encoding");
  response.Header("X-Content-Type-Options", "nosniff");
  if (file.is_html) {
    response.Header("Content-Security-Policy", kContentSecurityPolicy);
    response.Header("Referrer-Policy", "same-origin");
  }
  if (IfNoneMatchMatches(request.Header(http::field::if_none_match), etag)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  if (gzip) response.Header("Content-Encoding", "gzip");
  response.body = gzip ? file.gzip_content : file.content;
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
