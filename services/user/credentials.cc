#include "user/credentials.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "user/validation.h"

namespace mercato::user {
namespace {

constexpr size_t kRefreshTokenBytes = 32;

// Well-known passwords of at least 10 characters (shorter ones fail the length rule
// anyway), from the top of the published breach corpora, plus a few local favourites.
constexpr absl::string_view kCommonPasswords[] = {
    "0000000000",    "0123456789",       "0987654321",   "1111111111",    "1122334455",
    "1212121212",    "1234512345",       "1234567890",   "12345678910",   "1234567891",
    "12345678901",   "123456789012",     "123456789a",   "123123123123",  "1234qwer1234",
    "1q2w3e4r5t",    "1q2w3e4r5t6y",     "1qaz2wsx3edc", "5555555555",    "6666666666",
    "7777777777",    "8888888888",       "9876543210",   "987654321a",    "a123456789",
    "aaaaaaaaaa",    "abc1234567",       "abcd123456",   "abcd1234abcd",  "abcdefg123",
    "abcdefghij",    "admin12345",       "admin123456",  "administrator", "asdfasdfasdf",
    "asdfghjkl1",    "asdfghjkl123",     "baseball12",   "basketball",    "changeme123",
    "chocolate1",    "football12",       "football123",  "iloveyou12",    "iloveyou123",
    "letmein123",    "liverpool1",       "mercato123",   "mercato1234",   "michael123",
    "p@ssw0rd123",   "passw0rd12",       "passw0rd123",  "password00",    "password01",
    "password12",    "password123",      "password1234", "password2024",  "password2025",
    "password2026",  "passwordpassword", "princess12",   "qazwsxedc123",  "qazwsxedcrfv",
    "qwerty1234",    "qwerty12345",      "qwerty123456", "qwertyqwerty",  "qwertyuiop",
    "qwertyuiop123", "shopping123",      "starwars12",   "sunshine12",    "superman12",
    "trustno1234",   "welcome123",       "welcome1234",  "zaq12wsxcde3",  "zxcvbnm123",
};

void EnsureSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing safe can be done
    return true;
  }();
  (void)ready;
}

absl::Status Weak(absl::string_view why) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "weak_password",
                       absl::StrCat("password ", why));
}

}  // namespace

bool IsCommonPassword(absl::string_view password) {
  const std::string lower = absl::AsciiStrToLower(password);
  return std::find(std::begin(kCommonPasswords), std::end(kCommonPasswords), lower) !=
         std::end(kCommonPasswords);
}

absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view email) {
  if (password.size() > kMaxPasswordBytes) {
    return Weak(absl::StrCat("must be at most ", kMaxPasswordBytes, " bytes"));
  }
  if (Utf8Length(password) < kMinPasswordLength) {
    return Weak(absl::StrCat("must be at least ", kMinPasswordLength, " characters"));
  }
  if (IsCommonPassword(password)) return Weak("is too common");
  if (!email.empty() && absl::AsciiStrToLower(password) == absl::AsciiStrToLower(email)) {
    return Weak("must not be the email address");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  EnsureSodium();
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), kPasswordHashPasses,
                                 kPasswordHashMemoryBytes) != 0) {
    return absl::InternalError("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, absl::string_view password) {
  EnsureSodium();
  if (hash.size() >= crypto_pwhash_argon2id_STRBYTES || hash.rfind("$argon2id$", 0) != 0) {
    return false;
  }
  return crypto_pwhash_argon2id_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(const std::string& hash) {
  EnsureSodium();
  if (hash.size() >= crypto_pwhash_argon2id_STRBYTES) return true;
  return crypto_pwhash_argon2id_str_needs_rehash(hash.c_str(), kPasswordHashPasses,
                                                 kPasswordHashMemoryBytes) != 0;
}

void VerifyAgainstDummyHash(absl::string_view password) {
  static const std::string dummy = [] {
    auto hash = HashPassword(RandomToken(16));
    return hash.ok() ? *hash : std::string();
  }();
  (void)VerifyPassword(dummy, password);
}

std::string NewRefreshToken() { return RandomToken(kRefreshTokenBytes); }

bool LooksLikeRefreshToken(absl::string_view token) {
  if (token.size() !=
      sodium_base64_ENCODED_LEN(kRefreshTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1) {
    return false;
  }
  return std::all_of(token.begin(), token.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string Blake2bHex(absl::string_view text) {
  EnsureSodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string RefreshTokenHash(absl::string_view token) { return Blake2bHex(token); }

}  // namespace mercato::user
