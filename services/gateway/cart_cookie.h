// The guest cart cookie's value: "<cart id>.<tag>". The cart id is RandomToken(32), 43
// URL-safe base64 characters chosen by the gateway; the tag is HMAC-SHA256 (libsodium) of the
// id under MERCATO_CART_COOKIE_KEY, 43 more. Only the gateway can make a valid value, so a
// guest cart is always one it issued: an id chosen by someone else (fixation: planting a
// known cart id in a victim's browser to read or fill the cart merged at their sign-in) is
// refused like any unsigned or altered value.
//
//   std::string cookie = SignGuestCartId(key, NewGuestCartId());        // a new cart
//   std::optional<std::string> id = VerifyGuestCartCookie(key, cookie);  // its cart id
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mercato::gateway {

// A cart id as the gateway makes them: 43 characters of unpadded URL-safe base64.
bool IsGuestCartId(std::string_view id);
// "<cart_id>.<tag>" for an id of the form above.
std::string SignGuestCartId(std::string_view key, std::string_view cart_id);
// A new random cart id.
std::string NewGuestCartId();
// The cart id of a value SignGuestCartId made with `key`; nullopt for anything else. The tag
// is compared in constant time.
std::optional<std::string> VerifyGuestCartCookie(std::string_view key, std::string_view value);

}  // namespace mercato::gateway
