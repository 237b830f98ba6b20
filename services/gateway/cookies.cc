#include "gateway/cookies.h"

#include "absl/strings/str_cat.h"

namespace mercato::gateway {
namespace {

bool IsTokenChar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
    case '{':
    case '}':
      return false;
    default:
      return true;
  }
}

// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool IsCookieOctet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

std::optional<Cookie> ParsePair(std::string_view pair) {
  const size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  std::string_view name = pair.substr(0, eq);
  std::string_view value = pair.substr(eq + 1);
  if (!IsCookieName(name)) return std::nullopt;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (!IsCookieValue(value)) return std::nullopt;
  return Cookie{std::string(name), std::string(value)};
}

}  // namespace

bool IsCookieName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsCookieValue(std::string_view value) {
  for (char c : value) {
    if (!IsCookieOctet(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::vector<Cookie> ParseCookieHeader(std::string_view header) {
  std::vector<Cookie> cookies;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(pos, end - pos);
    // Optional whitespace after the separator (and before the first pair), and trailing
    // whitespace some clients leave before the separator.
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    if (auto cookie = ParsePair(pair)) cookies.push_back(*std::move(cookie));
    pos = end + 1;
  }
  return cookies;
}

std::optional<std::string> FindCookie(const HttpRequest& request, std::string_view name) {
  auto [begin, end] = request.headers.equal_range(http::field::cookie);
  for (auto it = begin; it != end; ++it) {
    std::string_view header(it->value().data(), it->value().size());
    for (auto& cookie : ParseCookieHeader(header)) {
      if (cookie.name == name) return std::move(cookie.value);
    }
  }
  return std::nullopt;
}

std::string FormatSetCookie(const SetCookie& cookie) {
  std::string out = absl::StrCat(cookie.name, "=", cookie.value);
  if (!cookie.path.empty()) absl::StrAppend(&out, "; Path=", cookie.path);
  absl::StrAppend(&out, "; Max-Age=", cookie.max_age_seconds);
  if (cookie.http_only) absl::StrAppend(&out, "; HttpOnly");
  if (!cookie.same_site.empty()) absl::StrAppend(&out, "; SameSite=", cookie.same_site);
  if (cookie.secure) absl::StrAppend(&out, "; Secure");
  return out;
}

}  // namespace mercato::gateway
