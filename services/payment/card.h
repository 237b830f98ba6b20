// Card checks that need no processor: number syntax and Luhn, brand, expiry, CVC syntax,
// and the keyed fingerprint that lets an idempotency key be compared with a later request
// without ever storing the card number.
//
//   auto card = mercato::payment::ValidateCard(request.card(), absl::Now());
//   if (!card.ok()) return card.status();   // INVALID_ARGUMENT "invalid_card" / "card_expired"
//   card->brand;   // "visa"
//   card->last4;   // "4242"
//
// Error messages never contain the card number or the CVC.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato::payment {

// What time it is; injected so that expiry can be tested at any date.
using Clock = std::function<absl::Time()>;

// A card number that passed the syntax and Luhn checks (digits only) plus what may be
// stored about it. `number` lives in memory for the duration of one call only.
struct ValidatedCard {
  std::string number;
  std::string brand;
  std::string last4;
  int exp_month = 0;
  int exp_year = 0;  // four digits
};

// The Luhn (mod 10) check over a string of ASCII digits; false for anything else.
bool LuhnValid(absl::string_view digits);

// "visa", "mastercard", "amex", "discover" or "unknown", from the number's prefix (IIN):
// visa 4; mastercard 51-55 and 2221-2720; amex 34, 37; discover 6011, 644-649, 65.
std::string DetectBrand(absl::string_view digits);

// Syntax, Luhn and CVC, and that month and year are plausible at `now`. The number may
// contain spaces or hyphens between digits; 12 to 19 digits. The CVC is 3 or 4 digits.
// exp_year is four digits, or two (20YY), at most 20 years after `now`.
//   INVALID_ARGUMENT "invalid_card": bad number, Luhn failure, bad CVC, bad month/year.
absl::StatusOr<ValidatedCard> ParseCard(const common::v1::Card& card, absl::Time now);

// A card is valid through the last day of its expiry month (UTC).
//   INVALID_ARGUMENT "card_expired": expiry month before the month of `now`.
absl::Status CheckNotExpired(const ValidatedCard& card, absl::Time now);

// ParseCard, then CheckNotExpired.
absl::StatusOr<ValidatedCard> ValidateCard(const common::v1::Card& card, absl::Time now);

// A keyed hash (HMAC-SHA-256, lower-case hex) of the card number, amount and currency: two
// requests with the same idempotency key are "the same charge" exactly when their
// fingerprints are equal. Without the key the hash cannot be brute-forced back to a number.
std::string PaymentFingerprint(absl::string_view key, absl::string_view card_number, int64_t amount,
                               absl::string_view currency);

}  // namespace mercato::payment
