#include "user/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::user {
namespace {

constexpr size_t kMaxLocalPartLength = 64;

absl::Status InvalidEmail(absl::string_view why) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_email",
                       absl::StrCat("email ", why));
}

// Letters, digits and the specials RFC 5322 allows unquoted in a local part; bytes of
// non-ASCII characters (RFC 6531) are let through.
bool IsLocalPartChar(unsigned char c) {
  if (c >= 0x80 || absl::ascii_isalnum(c)) return true;
  return absl::string_view("!#$%&'*+-/=?^_`{|}~.").find(static_cast<char>(c)) !=
         absl::string_view::npos;
}

bool IsDomainChar(unsigned char c) {
  return c >= 0x80 || absl::ascii_isalnum(c) || c == '-' || c == '.';
}

}  // namespace

absl::StatusOr<std::string> NormaliseEmail(absl::string_view raw) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (email.empty()) return InvalidEmail("is required");
  if (email.size() > kMaxEmailLength) {
    return InvalidEmail(absl::StrCat("must be at most ", kMaxEmailLength, " characters"));
  }
  const size_t at = email.find('@');
  if (at == std::string::npos || email.find('@', at + 1) != std::string::npos) {
    return InvalidEmail("must contain exactly one '@'");
  }
  const absl::string_view local = absl::string_view(email).substr(0, at);
  const absl::string_view domain = absl::string_view(email).substr(at + 1);
  if (local.empty() || local.size() > kMaxLocalPartLength) {
    return InvalidEmail("must have 1 to 64 characters before the '@'");
  }
  if (!std::all_of(local.begin(), local.end(),
                   [](char c) { return IsLocalPartChar(static_cast<unsigned char>(c)); }) ||
      local.front() == '.' || local.back() == '.' || local.find("..") != absl::string_view::npos) {
    return InvalidEmail("has characters that are not allowed before the '@'");
  }
  if (domain.find('.') == absl::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.front() == '-' ||
      domain.find("..") != absl::string_view::npos ||
      !std::all_of(domain.begin(), domain.end(),
                   [](char c) { return IsDomainChar(static_cast<unsigned char>(c)); })) {
    return InvalidEmail("must end in a domain name such as example.com");
  }
  return email;
}

absl::StatusOr<std::string> NormaliseName(absl::string_view raw) {
  std::string name(absl::StripAsciiWhitespace(raw));
  const size_t length = Utf8Length(name);
  if (length < 1 || length > kMaxNameLength) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_name",
                         absl::StrCat("name must be 1 to ", kMaxNameLength, " characters"));
  }
  if (HasControlCharacter(name)) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_name",
                         "name must not contain control characters");
  }
  return name;
}

}  // namespace mercato::user
