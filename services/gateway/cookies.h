// The Cookie request header (RFC 6265 section 4.2) and Set-Cookie values. Beast parses HTTP
// but not cookies.
//
//   for (const auto& c : ParseCookieHeader("a=1; b=\"2\"")) ...   // {a,1}, {b,2}
//   std::optional<std::string> id = FindCookie(request, "mercato_cart");
//   response.Header("Set-Cookie", FormatSetCookie({.name = "mercato_cart", .value = id,
//                                                  .max_age_seconds = 2592000}));
//
// Parsing is strict per pair and lenient per header: a pair that is not `token=cookie-value`
// (RFC 6265 grammar; the value may be in double quotes) is skipped, so one malformed cookie
// set by some other application on the same host does not hide the others. Separators are
// ";" followed by optional spaces. Names are case-sensitive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/http_types.h"

namespace mercato::gateway {

struct Cookie {
  std::string name;
  std::string value;  // without surrounding double quotes
  bool operator==(const Cookie&) const = default;
};

// The well-formed pairs of one Cookie header value, in order.
std::vector<Cookie> ParseCookieHeader(std::string_view header);

// The value of the first well-formed cookie called `name` in the request's Cookie header(s).
std::optional<std::string> FindCookie(const HttpRequest& request, std::string_view name);

struct SetCookie {
  std::string name;
  std::string value;
  std::string path = "/";
  // Max-Age in seconds; 0 deletes the cookie.
  long long max_age_seconds = 0;
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";
};

// "name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]". The caller passes a
// name that is a token and a value of cookie-octets.
std::string FormatSetCookie(const SetCookie& cookie);

// RFC 6265 cookie-name (an RFC 7230 token) and cookie-value characters.
bool IsCookieName(std::string_view name);
bool IsCookieValue(std::string_view value);

}  // namespace mercato::gateway
