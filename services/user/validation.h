// The rules for what a user may enter: email addresses, display names and postal addresses.
// Every check returns INVALID_ARGUMENT with a stable error code ("invalid_email",
// "invalid_name", "invalid_address") and a message naming the field, never echoing a secret.
//
//   auto email = mercato::user::NormaliseEmail("  Ann@Example.COM ");  // "ann@example.com"
//   absl::Status s = mercato::user::ValidateAddress(address);            // fields, country
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato::user {

inline constexpr size_t kMaxEmailLength = 254;
inline constexpr size_t kMaxNameLength = 100;

// Trims ASCII white space and lower-cases ASCII letters, then checks the shape: one '@', a
// local part of 1..64 bytes and a domain with at least one dot, no spaces or control
// characters, at most 254 bytes. INVALID_ARGUMENT "invalid_email" otherwise. This is the form
// shown and stored; which spellings are one account (Unicode case and compatibility forms)
// is decided by the database's email_key() alone (user_store.h, EmailLookup).
absl::StatusOr<std::string> NormaliseEmail(absl::string_view email);

// A display name: trimmed, 1..100 characters, no control characters. INVALID_ARGUMENT
// "invalid_name" otherwise.
absl::StatusOr<std::string> NormaliseName(absl::string_view name);

// Trims every field, upper-cases the country and checks: name 1..100, line1 1..200,
// line2 0..200, city 1..100, region 0..100, postal_code 0..20 characters, no control
// characters, country an assigned ISO 3166-1 alpha-2 code. The id is left alone.
// INVALID_ARGUMENT "invalid_address" naming the first bad field otherwise.
absl::Status NormaliseAddress(common::v1::Address& address);

// An officially assigned ISO 3166-1 alpha-2 code, upper case ("DE", "US")?
bool IsIsoCountryCode(absl::string_view code);

// Number of Unicode code points in UTF-8 text (bytes that do not continue a sequence).
size_t Utf8Length(absl::string_view text);

}  // namespace mercato::user
