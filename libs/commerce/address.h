// The one rule for postal addresses, for saved ones (the user service's address book) and
// for the inline shipping address of a checkout alike, so that no path stores an address
// another path would refuse.
//
//   common::v1::Address a = ...;
//   if (absl::Status s = mercato::NormaliseAddress(a, "shipping_address."); !s.ok()) return s;
//   // a is trimmed, its country upper-case; INVALID_ARGUMENT "invalid_address" otherwise,
//   // naming the field ("shipping_address.line1 must not contain control characters").
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato {

// Lengths in characters (Unicode code points).
inline constexpr size_t kMaxAddressNameLength = 100;
inline constexpr size_t kMaxAddressLineLength = 200;
inline constexpr size_t kMaxAddressCityLength = 100;
inline constexpr size_t kMaxAddressRegionLength = 100;
inline constexpr size_t kMaxPostalCodeLength = 20;

// Trims ASCII white space from every field, upper-cases the country and checks: name
// 1..100, line1 1..200, line2 0..200, city 1..100, region 0..100, postal_code 0..20
// characters, no control characters (NUL included) anywhere, country an assigned ISO 3166-1
// alpha-2 code. The id is left alone. INVALID_ARGUMENT "invalid_address" naming the first
// bad field, prefixed with `field_prefix` ("" or "shipping_address."), otherwise.
absl::Status NormaliseAddress(common::v1::Address& address, absl::string_view field_prefix = "");

// An officially assigned ISO 3166-1 alpha-2 code, upper case ("DE", "US")?
bool IsIsoCountryCode(absl::string_view code);

// Number of Unicode code points in UTF-8 text (bytes that do not continue a sequence).
size_t Utf8Length(absl::string_view text);

// A C0 control character (NUL included) or DEL?
bool HasControlCharacter(absl::string_view text);

}  // namespace mercato
