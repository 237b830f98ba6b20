#include "commerce/address.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato {
namespace {

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

absl::Status InvalidAddress(absl::string_view prefix, absl::string_view field,
                            absl::string_view problem) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_address",
                       absl::StrCat(prefix, field, " ", problem));
}

// Trims and checks one text field.
absl::Status CheckField(std::string* value, absl::string_view prefix, absl::string_view field,
                        size_t min, size_t max) {
  *value = std::string(absl::StripAsciiWhitespace(*value));
  const size_t length = Utf8Length(*value);
  if (length < min || length > max) {
    return InvalidAddress(prefix, field,
                          min > 0 ? absl::StrCat("must be ", min, " to ", max, " characters")
                                  : absl::StrCat("must be at most ", max, " characters"));
  }
  if (HasControlCharacter(*value)) {
    return InvalidAddress(prefix, field, "must not contain control characters");
  }
  return absl::OkStatus();
}

}  // namespace

size_t Utf8Length(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool IsIsoCountryCode(absl::string_view code) {
  return std::binary_search(std::begin(kCountryCodes), std::end(kCountryCodes), code);
}

absl::Status NormaliseAddress(common::v1::Address& a, absl::string_view prefix) {
  struct Field {
    std::string* value;
    absl::string_view name;
    size_t min, max;
  };
  const Field fields[] = {
      {a.mutable_name(), "name", 1, kMaxAddressNameLength},
      {a.mutable_line1(), "line1", 1, kMaxAddressLineLength},
      {a.mutable_line2(), "line2", 0, kMaxAddressLineLength},
      {a.mutable_city(), "city", 1, kMaxAddressCityLength},
      {a.mutable_region(), "region", 0, kMaxAddressRegionLength},
      {a.mutable_postal_code(), "postal_code", 0, kMaxPostalCodeLength},
  };
  for (const Field& f : fields) {
    if (absl::Status s = CheckField(f.value, prefix, f.name, f.min, f.max); !s.ok()) return s;
  }
  std::string country = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(a.country()));
  if (!IsIsoCountryCode(country)) {
    return InvalidAddress(prefix, "country", "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
  }
  a.set_country(std::move(country));
  return absl::OkStatus();
}

}  // namespace mercato
