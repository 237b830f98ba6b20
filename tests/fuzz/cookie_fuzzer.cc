// Fuzz target: Cookie request headers as the gateway reads them (ParseCookieHeader,
// FindCookie), and the signed guest cart cookie (VerifyGuestCartCookie). Checks that every
// cookie parsed is well formed, that FindCookie agrees with the parser, and that a cart cookie
// is accepted only when it is exactly what the gateway itself would have signed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/cart_cookie.h"
#include "gateway/cookies.h"

namespace {

using namespace mercato::gateway;

constexpr std::string_view kKey = "fuzz-cart-cookie-key-0123456789abcdef";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckCartCookie(std::string_view value) {
  auto id = VerifyGuestCartCookie(kKey, value);
  if (!id) return;
  Check(IsGuestCartId(*id));
  Check(SignGuestCartId(kKey, *id) == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const std::vector<Cookie> cookies = ParseCookieHeader(header);
  for (const Cookie& cookie : cookies) {
    Check(IsCookieName(cookie.name));
    Check(IsCookieValue(cookie.value));
    // What the gateway writes, it reads back the same.
    const std::string set = FormatSetCookie({.name = cookie.name, .value = cookie.value});
    const std::vector<Cookie> again = ParseCookieHeader(set.substr(0, set.find(';')));
    Check(again.size() == 1 && again[0] == cookie);
    CheckCartCookie(cookie.value);
  }
  // The rest needs a header value the HTTP parser could have produced.
  if (header.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return 0;
  HttpRequest request;
  request.headers.insert(http::field::cookie, header);
  auto found = FindCookie(request, "mercato_cart");
  std::optional<std::string> first;
  for (const Cookie& cookie : cookies) {
    if (cookie.name == "mercato_cart") {
      first = cookie.value;
      break;
    }
  }
  Check(found == first);
  CheckCartCookie(header);
  // A valid cookie with one byte of the input in it is refused unless unchanged.
  if (size > 0) {
    std::string forged = SignGuestCartId(kKey, std::string(43, 'A'));
    forged[data[0] % forged.size()] = static_cast<char>(data[size - 1]);
    CheckCartCookie(forged);
  }
  return 0;
}
