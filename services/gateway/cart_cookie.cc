#include "gateway/cart_cookie.h"

#include <sodium.h>

#include "common/ids.h"

namespace mercato::gateway {
namespace {

constexpr size_t kGuestCartIdBytes = 32;
constexpr size_t kGuestCartIdLength = 43;  // unpadded base64 of 32 bytes
constexpr size_t kTagLength = 43;          // unpadded base64 of the 32-byte HMAC-SHA256
// What is signed: the id under a label, so that the key's MAC of the cart id can never be
// mistaken for a MAC of anything else it might one day sign.
constexpr std::string_view kLabel = "mercato_cart.v1:";

std::string Tag(std::string_view key, std::string_view cart_id) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kLabel.data()),
                                kLabel.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(cart_id.data()),
                                cart_id.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  char encoded[kTagLength + 1];
  sodium_bin2base64(encoded, sizeof encoded, mac, sizeof mac,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(encoded, kTagLength);
}

}  // namespace

bool IsGuestCartId(std::string_view id) {
  if (id.size() != kGuestCartIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string SignGuestCartId(std::string_view key, std::string_view cart_id) {
  std::string value(cart_id);
  value += '.';
  value += Tag(key, cart_id);
  return value;
}

std::string NewGuestCartId() { return RandomToken(kGuestCartIdBytes); }

std::optional<std::string> VerifyGuestCartCookie(std::string_view key, std::string_view value) {
  if (value.size() != kGuestCartIdLength + 1 + kTagLength) return std::nullopt;
  if (value[kGuestCartIdLength] != '.') return std::nullopt;
  const std::string_view id = value.substr(0, kGuestCartIdLength);
  if (!IsGuestCartId(id)) return std::nullopt;
  const std::string expected = Tag(key, id);
  if (sodium_memcmp(expected.data(), value.data() + kGuestCartIdLength + 1, kTagLength) != 0) {
    return std::nullopt;
  }
  return std::string(id);
}

}  // namespace mercato::gateway
