// The rules for what a user may enter: email addresses and display names. Every check returns
// INVALID_ARGUMENT with a stable error code ("invalid_email", "invalid_name") and a message
// naming the field, never echoing a secret. Postal addresses follow the rule shared with
// checkout's inline shipping address: mercato::NormaliseAddress (commerce/address.h).
//
//   auto email = mercato::user::NormaliseEmail("  Ann@Example.COM ");  // "ann@example.com"
//   absl::Status s = mercato::NormaliseAddress(address);                 // fields, country
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "commerce/address.h"

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

}  // namespace mercato::user
