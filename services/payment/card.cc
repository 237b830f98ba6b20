#include "payment/card.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::payment {
namespace {

constexpr int kMinDigits = 12;
constexpr int kMaxDigits = 19;
// A card expiring further out than this is not a real card.
constexpr int kMaxYearsAhead = 20;

absl::Status InvalidCard(absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_card", message);
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The first `n` digits as a number (the caller checked that there are that many).
int Prefix(absl::string_view digits, size_t n) {
  int value = 0;
  for (size_t i = 0; i < n && i < digits.size(); ++i) value = value * 10 + (digits[i] - '0');
  return value;
}

absl::CivilMonth CurrentMonth(absl::Time now) {
  return absl::CivilMonth(absl::ToCivilSecond(now, absl::UTCTimeZone()));
}

}  // namespace

bool LuhnValid(absl::string_view digits) {
  if (digits.empty() || !AllDigits(digits)) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

std::string DetectBrand(absl::string_view digits) {
  if (digits.size() < 4 || !AllDigits(digits)) return "unknown";
  const int p1 = Prefix(digits, 1);
  const int p2 = Prefix(digits, 2);
  const int p3 = Prefix(digits, 3);
  const int p4 = Prefix(digits, 4);
  if (p1 == 4) return "visa";
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return "mastercard";
  if (p2 == 34 || p2 == 37) return "amex";
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return "discover";
  return "unknown";
}

absl::StatusOr<ValidatedCard> ParseCard(const common::v1::Card& card, absl::Time now) {
  ValidatedCard out;
  for (char c : card.number()) {
    if (c >= '0' && c <= '9') {
      out.number.push_back(c);
    } else if (c != ' ' && c != '-') {
      return InvalidCard("card number must contain only digits");
    }
    if (out.number.size() > kMaxDigits) break;
  }
  if (out.number.size() < kMinDigits || out.number.size() > kMaxDigits) {
    return InvalidCard(
        absl::StrCat("card number must have ", kMinDigits, " to ", kMaxDigits, " digits"));
  }
  if (!LuhnValid(out.number)) return InvalidCard("card number fails the Luhn check");
  if ((card.cvc().size() != 3 && card.cvc().size() != 4) || !AllDigits(card.cvc())) {
    return InvalidCard("cvc must be 3 or 4 digits");
  }
  if (card.exp_month() < 1 || card.exp_month() > 12) {
    return InvalidCard("exp_month must be between 1 and 12");
  }
  int year = card.exp_year();
  if (year >= 0 && year < 100) year += 2000;
  const int current_year = static_cast<int>(CurrentMonth(now).year());
  if (year < 2000 || year > current_year + kMaxYearsAhead) {
    return InvalidCard(
        absl::StrCat("exp_year must be a year between 2000 and ", current_year + kMaxYearsAhead));
  }
  out.exp_month = card.exp_month();
  out.exp_year = year;
  out.brand = DetectBrand(out.number);
  out.last4 = out.number.substr(out.number.size() - 4);
  return out;
}

absl::Status CheckNotExpired(const ValidatedCard& card, absl::Time now) {
  if (absl::CivilMonth(card.exp_year, card.exp_month) < CurrentMonth(now)) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "card_expired",
                         "the card has expired");
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatedCard> ValidateCard(const common::v1::Card& card, absl::Time now) {
  auto parsed = ParseCard(card, now);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = CheckNotExpired(*parsed, now); !s.ok()) return s;
  return parsed;
}

std::string PaymentFingerprint(absl::string_view key, absl::string_view card_number, int64_t amount,
                               absl::string_view currency) {
  // Fields are separated by a byte that none of them can contain, so that no two different
  // (number, amount, currency) triples hash the same input.
  const std::string message =
      absl::StrCat("mercato-payment-v1|", card_number, "|", amount, "|", currency);
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  // The message holds the card number: do not leave it in freed memory.
  sodium_memzero(const_cast<char*>(message.data()), message.size());
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

}  // namespace mercato::payment
