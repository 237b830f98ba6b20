// Card checks: Luhn, brand, syntax, expiry against an injected time, fingerprints.
#include <gtest/gtest.h>

#include "common/status.h"
#include "payment/card.h"

namespace mercato::payment {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 12, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

common::v1::Card MakeCard(const std::string& number, int month = 12, int year = 2030,
                          const std::string& cvc = "123") {
  common::v1::Card c;
  c.set_number(number);
  c.set_exp_month(month);
  c.set_exp_year(year);
  c.set_cvc(cvc);
  return c;
}

const absl::Time kNow = Utc(2026, 11, 26);

TEST(LuhnTest, AcceptsValidNumbers) {
  for (const char* n :
       {"4242424242424242", "4000000000000002", "4000000000009995", "5555555555554444",
        "378282246310005", "6011111111111117", "79927398713", "0"}) {
    EXPECT_TRUE(LuhnValid(n)) << n;
  }
}

TEST(LuhnTest, RejectsInvalidNumbersAndNonDigits) {
  for (const char* n : {"4242424242424241", "4242424242424243", "79927398710", "1", "",
                        "4242 4242 4242 4242", "42424242424242a2", "-4242424242424242"}) {
    EXPECT_FALSE(LuhnValid(n)) << n;
  }
}

TEST(BrandTest, DetectsBrandFromPrefix) {
  EXPECT_EQ(DetectBrand("4242424242424242"), "visa");
  EXPECT_EQ(DetectBrand("4000000000000002"), "visa");
  EXPECT_EQ(DetectBrand("5555555555554444"), "mastercard");
  EXPECT_EQ(DetectBrand("5105105105105100"), "mastercard");
  EXPECT_EQ(DetectBrand("2221000000000009"), "mastercard");
  EXPECT_EQ(DetectBrand("2223003122003222"), "mastercard");
  EXPECT_EQ(DetectBrand("2720990000000000"), "mastercard");
  EXPECT_EQ(DetectBrand("378282246310005"), "amex");
  EXPECT_EQ(DetectBrand("341111111111111"), "amex");
  EXPECT_EQ(DetectBrand("6011111111111117"), "discover");
  EXPECT_EQ(DetectBrand("6445644564456445"), "discover");
  EXPECT_EQ(DetectBrand("6500000000000002"), "discover");
}

TEST(BrandTest, UnknownPrefixesAndJunk) {
  EXPECT_EQ(DetectBrand("3530111333300000"), "unknown");  // JCB
  EXPECT_EQ(DetectBrand("30569309025904"), "unknown");    // Diners
  EXPECT_EQ(DetectBrand("2220990000000000"), "unknown");  // just below mastercard 2221
  EXPECT_EQ(DetectBrand("2721000000000000"), "unknown");  // just above mastercard 2720
  EXPECT_EQ(DetectBrand("5000000000000009"), "unknown");
  EXPECT_EQ(DetectBrand("6430000000000000"), "unknown");  // 643 is not discover
  EXPECT_EQ(DetectBrand("424"), "unknown");
  EXPECT_EQ(DetectBrand("42x4242424242424"), "unknown");
}

TEST(ValidateCardTest, ValidCardYieldsBrandAndLastFour) {
  auto card = ValidateCard(MakeCard("4242424242424242"), kNow);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->number, "4242424242424242");
  EXPECT_EQ(card->brand, "visa");
  EXPECT_EQ(card->last4, "4242");
  EXPECT_EQ(card->exp_month, 12);
  EXPECT_EQ(card->exp_year, 2030);
}

TEST(ValidateCardTest, SpacesAndHyphensBetweenDigitsAreIgnored) {
  for (const char* n : {"4242 4242 4242 4242", "4242-4242-4242-4242", " 4242424242424242 "}) {
    auto card = ValidateCard(MakeCard(n), kNow);
    ASSERT_TRUE(card.ok()) << n << ": " << card.status();
    EXPECT_EQ(card->number, "4242424242424242");
  }
}

TEST(ValidateCardTest, FourDigitCvcAndAmex) {
  auto card = ValidateCard(MakeCard("378282246310005", 1, 2027, "1234"), kNow);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->brand, "amex");
  EXPECT_EQ(card->last4, "0005");
}

void ExpectInvalidCard(const common::v1::Card& c, absl::Time now = kNow) {
  auto card = ValidateCard(c, now);
  ASSERT_FALSE(card.ok()) << c.number();
  EXPECT_EQ(card.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(card.status()), "invalid_card") << card.status();
  // The number and CVC are never echoed.
  const std::string message(card.status().message());
  std::string digits;
  for (char ch : c.number()) {
    if (ch >= '0' && ch <= '9') digits.push_back(ch);
  }
  if (digits.size() >= 6) {
    EXPECT_EQ(message.find(digits), std::string::npos) << message;
  }
  if (!c.number().empty()) {
    EXPECT_EQ(message.find(c.number()), std::string::npos) << message;
  }
}

TEST(ValidateCardTest, RejectsLuhnFailures) {
  ExpectInvalidCard(MakeCard("4242424242424241"));
  ExpectInvalidCard(MakeCard("4000000000000001"));
}

TEST(ValidateCardTest, RejectsBadSyntaxAndLength) {
  ExpectInvalidCard(MakeCard(""));
  ExpectInvalidCard(MakeCard("4242"));
  ExpectInvalidCard(MakeCard("42424242424"));           // 11 digits
  ExpectInvalidCard(MakeCard("42424242424242424242"));  // 20 digits
  ExpectInvalidCard(MakeCard("4242.4242.4242.4242"));
  ExpectInvalidCard(MakeCard("4242424242424242x"));
  ExpectInvalidCard(MakeCard("４２４２424242424242"));  // full-width digits
}

TEST(ValidateCardTest, RejectsBadCvc) {
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 2030, ""));
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 2030, "12"));
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 2030, "12345"));
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 2030, "12a"));
}

TEST(ValidateCardTest, RejectsBadMonthOrYear) {
  ExpectInvalidCard(MakeCard("4242424242424242", 0, 2030));
  ExpectInvalidCard(MakeCard("4242424242424242", 13, 2030));
  ExpectInvalidCard(MakeCard("4242424242424242", -1, 2030));
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 1999));
  ExpectInvalidCard(MakeCard("4242424242424242", 12, 2047));  // more than 20 years ahead
  ExpectInvalidCard(MakeCard("4242424242424242", 12, -5));
  EXPECT_TRUE(ValidateCard(MakeCard("4242424242424242", 12, 2046), kNow).ok());
}

void ExpectExpired(const common::v1::Card& c, absl::Time now) {
  auto card = ValidateCard(c, now);
  ASSERT_FALSE(card.ok());
  EXPECT_EQ(card.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(card.status()), "card_expired");
}

TEST(ExpiryTest, ValidThroughTheLastDayOfTheExpiryMonth) {
  const auto card = MakeCard("4242424242424242", 11, 2026);
  EXPECT_TRUE(ValidateCard(card, Utc(2026, 11, 1, 0, 0, 0)).ok());
  EXPECT_TRUE(ValidateCard(card, Utc(2026, 11, 30, 23, 59, 59)).ok());
  ExpectExpired(card, Utc(2026, 12, 1, 0, 0, 0));
  ExpectExpired(card, Utc(2027, 1, 15));
}

TEST(ExpiryTest, EarlierMonthsAndYearsAreExpired) {
  ExpectExpired(MakeCard("4242424242424242", 10, 2026), kNow);
  ExpectExpired(MakeCard("4242424242424242", 12, 2025), kNow);
  ExpectExpired(MakeCard("4242424242424242", 1, 2000), kNow);
  EXPECT_TRUE(ValidateCard(MakeCard("4242424242424242", 12, 2026), kNow).ok());
  EXPECT_TRUE(ValidateCard(MakeCard("4242424242424242", 1, 2027), kNow).ok());
}

TEST(ExpiryTest, TwoDigitYearsMeanTwentyYY) {
  auto card = ValidateCard(MakeCard("4242424242424242", 11, 26), kNow);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->exp_year, 2026);
  ExpectExpired(MakeCard("4242424242424242", 10, 26), kNow);
  ExpectExpired(MakeCard("4242424242424242", 12, 25), kNow);
}

TEST(ExpiryTest, ParseCardDoesNotCheckExpiry) {
  auto card = ParseCard(MakeCard("4242424242424242", 1, 2020), kNow);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(ErrorCodeOf(CheckNotExpired(*card, kNow)), "card_expired");
  EXPECT_TRUE(CheckNotExpired(*card, Utc(2020, 1, 31)).ok());
}

TEST(FingerprintTest, StableHexAndKeyed) {
  const std::string key(40, 'k');
  const std::string fp = PaymentFingerprint(key, "4242424242424242", 1999, "USD");
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(fp, PaymentFingerprint(key, "4242424242424242", 1999, "USD"));
  EXPECT_EQ(fp.find("4242424242424242"), std::string::npos);
  EXPECT_NE(fp, PaymentFingerprint(std::string(40, 'j'), "4242424242424242", 1999, "USD"));
}

TEST(FingerprintTest, DiffersForAnyOtherCardAmountOrCurrency) {
  const std::string key(40, 'k');
  const std::string fp = PaymentFingerprint(key, "4242424242424242", 1999, "USD");
  EXPECT_NE(fp, PaymentFingerprint(key, "5555555555554444", 1999, "USD"));
  EXPECT_NE(fp, PaymentFingerprint(key, "4242424242424242", 2000, "USD"));
  EXPECT_NE(fp, PaymentFingerprint(key, "4242424242424242", 1999, "EUR"));
  // Field boundaries matter: "...42|1|999" is not "...421|999".
  EXPECT_NE(PaymentFingerprint(key, "42424242424242421", 999, "USD"),
            PaymentFingerprint(key, "4242424242424242", 1999, "USD"));
}

TEST(FingerprintTest, KnownValue) {
  // HMAC-SHA-256("key-of-at-least-thirty-two-chars",
  // "mercato-payment-v1|4242424242424242|1999|USD") as computed by `openssl dgst -sha256 -hmac`;
  // pins the format so that a change (which would make every stored fingerprint differ) is
  // deliberate.
  EXPECT_EQ(PaymentFingerprint("key-of-at-least-thirty-two-chars", "4242424242424242", 1999, "USD"),
            "92854fc530c92c38d18f23ab2bac3e92148f1f3c01ffc7d1ced3226f9f96564d");
}

}  // namespace
}  // namespace mercato::payment
