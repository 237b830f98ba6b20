#include "user/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::user {
namespace {

constexpr size_t kMaxLocalPartLength = 64;

// Officially assigned ISO 3166-1 alpha-2 codes (249), sorted.
constexpr absl::string_view kCountryCodes[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

absl::Status InvalidEmail(absl::string_view why) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_email",
                       absl::StrCat("email ", why));
}

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
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

// Trims and checks a text field; `field` names it in the error.
absl::Status CheckField(std::string* value, absl::string_view field, size_t min, size_t max) {
  *value = std::string(absl::StripAsciiWhitespace(*value));
  const size_t length = Utf8Length(*value);
  if (length < min || length > max) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_address",
                         min > 0 ? absl::StrCat(field, " must be ", min, " to ", max, " characters")
                                 : absl::StrCat(field, " must be at most ", max, " characters"));
  }
  if (HasControlCharacter(*value)) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_address",
                         absl::StrCat(field, " must not contain control characters"));
  }
  return absl::OkStatus();
}

}  // namespace

size_t Utf8Length(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

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

bool IsIsoCountryCode(absl::string_view code) {
  return std::binary_search(std::begin(kCountryCodes), std::end(kCountryCodes), code);
}

absl::Status NormaliseAddress(common::v1::Address& a) {
  struct Field {
    std::string* value;
    absl::string_view name;
    size_t min, max;
  };
  const Field fields[] = {
      {a.mutable_name(), "name", 1, 100},     {a.mutable_line1(), "line1", 1, 200},
      {a.mutable_line2(), "line2", 0, 200},   {a.mutable_city(), "city", 1, 100},
      {a.mutable_region(), "region", 0, 100}, {a.mutable_postal_code(), "postal_code", 0, 20},
  };
  for (const Field& f : fields) {
    if (absl::Status s = CheckField(f.value, f.name, f.min, f.max); !s.ok()) return s;
  }
  std::string country = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(a.country()));
  if (!IsIsoCountryCode(country)) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_address",
                         "country must be an ISO 3166-1 alpha-2 code such as \"DE\"");
  }
  a.set_country(std::move(country));
  return absl::OkStatus();
}

}  // namespace mercato::user
