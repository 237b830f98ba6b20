// The user service's pure rules: email / name / address normalisation, the password policy,
// argon2id hashing, refresh-token shape and hashing, and the login-throttle schedule.
#include <gtest/gtest.h>
#include <sodium.h>

#include <limits>
#include <set>

#include "common/status.h"
#include "support/addresses.h"
#include "user/credentials.h"
#include "user/login_throttle.h"
#include "user/validation.h"

namespace mercato::user {
namespace {

using std::chrono::seconds;

TEST(UserEmailTest, TrimsAndLowerCases) {
  auto email = NormaliseEmail("  Ann.Smith+shop@Example.COM \t");
  ASSERT_TRUE(email.ok()) << email.status();
  EXPECT_EQ(*email, "ann.smith+shop@example.com");
}

TEST(UserEmailTest, RefusesMalformedAddresses) {
  for (const char* bad : {"",
                          "   ",
                          "ann",
                          "ann@",
                          "@example.com",
                          "ann@example",
                          "ann@@example.com",
                          "a@b@example.com",
                          "ann smith@example.com",
                          "ann@exa mple.com",
                          ".ann@example.com",
                          "ann.@example.com",
                          "an..n@example.com",
                          "ann@.example.com",
                          "ann@example.com.",
                          "ann@example..com",
                          "ann@-example.com",
                          "ann<x>@example.com",
                          "ann@exa_mple.com",
                          "ann\n@example.com"}) {
    auto email = NormaliseEmail(bad);
    ASSERT_FALSE(email.ok()) << bad;
    EXPECT_EQ(email.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ErrorCodeOf(email.status()), "invalid_email") << bad;
  }
}

TEST(UserEmailTest, LengthLimits) {
  EXPECT_TRUE(NormaliseEmail(std::string(64, 'a') + "@example.com").ok());
  EXPECT_FALSE(NormaliseEmail(std::string(65, 'a') + "@example.com").ok());
  const std::string domain = std::string(240, 'd') + ".com";  // 244
  EXPECT_TRUE(NormaliseEmail("abcdefghi@" + domain).ok());    // 254
  EXPECT_FALSE(NormaliseEmail("abcdefghij@" + domain).ok());  // 255
}

TEST(UserNameTest, TrimsAndChecksLength) {
  EXPECT_EQ(*NormaliseName("  Ann Smith "), "Ann Smith");
  EXPECT_EQ(ErrorCodeOf(NormaliseName("   ").status()), "invalid_name");
  EXPECT_TRUE(NormaliseName(std::string(100, 'x')).ok());
  EXPECT_FALSE(NormaliseName(std::string(101, 'x')).ok());
  // 100 two-byte characters are 100 characters, not 200.
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "\xC3\xBC";
  EXPECT_TRUE(NormaliseName(umlauts).ok());
  EXPECT_EQ(ErrorCodeOf(NormaliseName("Ann\x01").status()), "invalid_name");
}

using mercato::testing::UntidyGoodAddress;

TEST(UserAddressTest, NormalisesAGoodAddress) {
  common::v1::Address a = UntidyGoodAddress();
  ASSERT_TRUE(NormaliseAddress(a).ok());
  EXPECT_EQ(a.name(), "Ann Smith");
  EXPECT_EQ(a.country(), "DE");
  EXPECT_EQ(a.line2(), "");
}

TEST(UserAddressTest, NamesTheFirstBadField) {
  struct Case {
    void (*mutate)(common::v1::Address&);
    const char* field;
  };
  const Case cases[] = {
      {[](common::v1::Address& a) { a.set_name(""); }, "name"},
      {[](common::v1::Address& a) { a.set_line1(std::string(201, 'x')); }, "line1"},
      {[](common::v1::Address& a) { a.set_line2(std::string(201, 'x')); }, "line2"},
      {[](common::v1::Address& a) { a.set_city(" "); }, "city"},
      {[](common::v1::Address& a) { a.set_region(std::string(101, 'x')); }, "region"},
      {[](common::v1::Address& a) { a.set_postal_code(std::string(21, '1')); }, "postal_code"},
      {[](common::v1::Address& a) { a.set_city("Ber\tlin"); }, "city"},
      {[](common::v1::Address& a) { a.set_country("XX"); }, "country"},
      {[](common::v1::Address& a) { a.set_country("DEU"); }, "country"},
      {[](common::v1::Address& a) { a.set_country(""); }, "country"},
  };
  for (const Case& c : cases) {
    common::v1::Address a = UntidyGoodAddress();
    c.mutate(a);
    absl::Status s = NormaliseAddress(a);
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(ErrorCodeOf(s), "invalid_address");
    EXPECT_EQ(std::string(s.message()).rfind(c.field, 0), 0u) << s.message();
  }
}

TEST(UserAddressTest, CountryCodes) {
  EXPECT_TRUE(IsIsoCountryCode("US"));
  EXPECT_TRUE(IsIsoCountryCode("DE"));
  EXPECT_TRUE(IsIsoCountryCode("ZW"));
  EXPECT_TRUE(IsIsoCountryCode("AD"));
  EXPECT_FALSE(IsIsoCountryCode("UK"));  // the ISO code is GB
  EXPECT_FALSE(IsIsoCountryCode("us"));
  EXPECT_FALSE(IsIsoCountryCode("EU"));
}

TEST(UserPasswordPolicyTest, LengthIsCountedInCharacters) {
  EXPECT_EQ(ErrorCodeOf(CheckPasswordPolicy("short-pw9", "")), "weak_password");
  EXPECT_TRUE(CheckPasswordPolicy("long-enou9", "").ok());
  std::string nine_umlauts;
  for (int i = 0; i < 9; ++i) nine_umlauts += "\xC3\xBC";  // 18 bytes, 9 characters
  EXPECT_EQ(CheckPasswordPolicy(nine_umlauts, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckPasswordPolicy(nine_umlauts + "x", "").ok());
  EXPECT_TRUE(CheckPasswordPolicy(std::string(kMaxPasswordBytes, 'q'), "").ok());
  EXPECT_EQ(ErrorCodeOf(CheckPasswordPolicy(std::string(kMaxPasswordBytes + 1, 'q'), "")),
            "weak_password");
}

TEST(UserPasswordPolicyTest, RefusesCommonPasswordsWhateverTheCase) {
  for (const char* common : {"password123", "PASSWORD123", "1234567890", "qwertyuiop", "QwertyUiop",
                             "iloveyou123", "administrator", "1q2w3e4r5t"}) {
    absl::Status s = CheckPasswordPolicy(common, "ann@example.com");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << common;
    EXPECT_EQ(ErrorCodeOf(s), "weak_password") << common;
    EXPECT_TRUE(IsCommonPassword(common));
  }
  EXPECT_FALSE(IsCommonPassword("correct horse battery staple"));
}

TEST(UserPasswordPolicyTest, RefusesTheEmailItself) {
  EXPECT_EQ(ErrorCodeOf(CheckPasswordPolicy("Ann@Example.com", "ann@example.com")),
            "weak_password");
  EXPECT_TRUE(CheckPasswordPolicy("ann@example.com!", "ann@example.com").ok());
}

TEST(UserPasswordPolicyTest, MessagesNeverContainThePassword) {
  for (const std::string& pw :
       {std::string("tiny"), std::string("password123"), std::string(kMaxPasswordBytes + 5, 'z')}) {
    absl::Status s = CheckPasswordPolicy(pw, "");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(std::string(s.message()).find(pw), std::string::npos);
  }
}

TEST(UserPasswordHashTest, Argon2idWithAtLeastTheOwaspParameters) {
  auto hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(PasswordNeedsRehash(*hash));
  // Salted: the same password hashes differently every time.
  EXPECT_NE(*hash, *HashPassword("correct horse battery staple"));
}

TEST(UserPasswordHashTest, MalformedOrForeignHashesNeverVerify) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("plain-text-password", "plain-text-password"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "x"));
  EXPECT_FALSE(VerifyPassword(std::string(500, '$'), "x"));
}

TEST(UserPasswordHashTest, WeakerParametersNeedARehash) {
  char out[crypto_pwhash_argon2id_STRBYTES];
  const std::string pw = "correct horse battery staple";
  ASSERT_EQ(crypto_pwhash_argon2id_str(out, pw.data(), pw.size(), 1, 8 * 1024 * 1024), 0);
  EXPECT_TRUE(VerifyPassword(out, pw));
  EXPECT_TRUE(PasswordNeedsRehash(out));
}

TEST(UserRefreshTokenTest, RandomUrlSafeAndHashedForStorage) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = NewRefreshToken();
    EXPECT_EQ(token.size(), 43u);
    EXPECT_TRUE(LooksLikeRefreshToken(token)) << token;
    EXPECT_TRUE(seen.insert(token).second);
    const std::string hash = RefreshTokenHash(token);
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(hash, RefreshTokenHash(token));
    EXPECT_EQ(hash.find(token), std::string::npos);
  }
  EXPECT_FALSE(LooksLikeRefreshToken(""));
  EXPECT_FALSE(LooksLikeRefreshToken(std::string(43, '.')));
  EXPECT_FALSE(LooksLikeRefreshToken(std::string(44, 'a')));
  EXPECT_FALSE(LooksLikeRefreshToken("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
}

TEST(UserLoginThrottleTest, ClientSchedule) {
  const ThrottlePolicy& p = kClientThrottle;
  EXPECT_EQ(LockoutAfter(p, 0), seconds(0));
  EXPECT_EQ(LockoutAfter(p, 1), seconds(0));
  EXPECT_EQ(LockoutAfter(p, 4), seconds(0));
  EXPECT_EQ(LockoutAfter(p, 5), seconds(1));
  EXPECT_EQ(LockoutAfter(p, 6), seconds(2));
  EXPECT_EQ(LockoutAfter(p, 7), seconds(4));
  EXPECT_EQ(LockoutAfter(p, 8), seconds(8));
  EXPECT_EQ(LockoutAfter(p, 9), seconds(16));
  EXPECT_EQ(LockoutAfter(p, 10), seconds(15 * 60));
  EXPECT_EQ(LockoutAfter(p, 11), seconds(30 * 60));
  EXPECT_EQ(LockoutAfter(p, 16), seconds(16 * 3600));
  EXPECT_EQ(LockoutAfter(p, 17), seconds(24 * 3600));
  EXPECT_EQ(LockoutAfter(p, std::numeric_limits<int>::max()), seconds(24 * 3600));
}

TEST(UserLoginThrottleTest, UnderAttackEveryFailureLocks) {
  const ThrottlePolicy& p = kClientThrottleUnderAttack;
  EXPECT_EQ(LockoutAfter(p, 0), seconds(0));
  EXPECT_EQ(LockoutAfter(p, 1), seconds(15 * 60));
  EXPECT_EQ(LockoutAfter(p, 2), seconds(30 * 60));
  EXPECT_EQ(LockoutAfter(p, 7), seconds(16 * 3600));
  EXPECT_EQ(LockoutAfter(p, 8), seconds(24 * 3600));
  EXPECT_EQ(LockoutAfter(p, std::numeric_limits<int>::max()), seconds(24 * 3600));
}

TEST(UserLoginThrottleTest, TheAccountCountNeverLocks) {
  EXPECT_EQ(LockoutAfter(kAccountCount, 1), seconds(0));
  EXPECT_EQ(LockoutAfter(kAccountCount, kAccountUnderAttackAfter), seconds(0));
  EXPECT_EQ(LockoutAfter(kAccountCount, std::numeric_limits<int>::max() - 1), seconds(0));
}

// Failures an attacker gets in [from, to) from a clean key at 0 s, trying again the moment
// each lock ends; with `pause_after` > 0 he stops after that many failures until the count is
// forgotten, then starts again (the store forgets a count a window after its last failure).
int GuessesBetween(const ThrottlePolicy& p, seconds from, seconds to, int pause_after = 0) {
  int guesses = 0, failures = 0;
  seconds t(0), last(0);
  while (t < to) {
    if (failures > 0 && t - last > p.window) failures = 0;
    ++failures;
    last = t;
    if (t >= from) ++guesses;
    t += std::max(LockoutAfter(p, failures), seconds(1));
    if (pause_after > 0 && failures == pause_after) t = last + p.window + seconds(1);
  }
  return guesses;
}

// The arithmetic of docs/security.md, "Sign-in throttling".
TEST(UserLoginThrottleTest, GuessesPerClient) {
  constexpr seconds kDay(24 * 3600);
  EXPECT_EQ(GuessesBetween(kClientThrottle, seconds(0), kDay), 16);
  EXPECT_EQ(GuessesBetween(kClientThrottleUnderAttack, seconds(0), kDay), 7);
  // Then one a day, for ever: waiting out a lock never resets the count.
  for (int day = 2; day <= 60; ++day) {
    SCOPED_TRACE(day);
    EXPECT_EQ(GuessesBetween(kClientThrottle, kDay * (day - 1), kDay * day), 1);
    EXPECT_EQ(GuessesBetween(kClientThrottleUnderAttack, kDay * (day - 1), kDay * day), 1);
  }
  EXPECT_EQ(GuessesBetween(kClientThrottle, seconds(0), kDay * 365), 380);
  EXPECT_EQ(GuessesBetween(kClientThrottleUnderAttack, seconds(0), kDay * 365), 371);
  // Pausing until the count is forgotten never gets more.
  for (int pause_after = 1; pause_after <= 40; ++pause_after) {
    SCOPED_TRACE(pause_after);
    EXPECT_LE(GuessesBetween(kClientThrottle, seconds(0), kDay * 365, pause_after), 380);
    EXPECT_LE(GuessesBetween(kClientThrottleUnderAttack, seconds(0), kDay * 365, pause_after), 371);
  }
}

TEST(UserLoginThrottleTest, RetryAfterRoundsUp) {
  const auto now = std::chrono::system_clock::time_point(seconds(1000));
  EXPECT_EQ(RetryAfterSeconds(now + std::chrono::milliseconds(1), now), 1);
  EXPECT_EQ(RetryAfterSeconds(now + seconds(1), now), 1);
  EXPECT_EQ(RetryAfterSeconds(now + std::chrono::milliseconds(1001), now), 2);
  EXPECT_EQ(RetryAfterSeconds(now - seconds(5), now), 1);
  EXPECT_EQ(RetryAfterSeconds(now + seconds(900), now), 900);
}

TEST(UserLoginThrottleTest, KeysAreHashesOfAccountAndClientNetwork) {
  const std::string email = EmailThrottleKey("ann@example.com");
  EXPECT_EQ(email.rfind("email:", 0), 0u);
  EXPECT_EQ(email.find("ann"), std::string::npos);
  EXPECT_EQ(email, EmailThrottleKey("ann@example.com"));
  EXPECT_NE(email, EmailThrottleKey("bob@example.com"));
  const std::string account = AccountThrottleKey("3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
  EXPECT_EQ(account, "user:3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");

  const std::string client = ClientThrottleKey(account, "203.0.113.9");
  EXPECT_EQ(client.rfind("client:", 0), 0u);
  EXPECT_EQ(client.size(), 7u + 64u);
  EXPECT_EQ(client.find("203.0"), std::string::npos);
  EXPECT_EQ(client, ClientThrottleKey(account, "::ffff:203.0.113.9"));
  EXPECT_NE(client, ClientThrottleKey(account, "203.0.113.10"));
  EXPECT_NE(client, ClientThrottleKey(email, "203.0.113.9"));
  // One IPv6 /64 is one client: its holder can use any address in it.
  EXPECT_EQ(ClientThrottleKey(account, "2001:db8:1:2::1"),
            ClientThrottleKey(account, "2001:db8:1:2:ffff:abcd:1234:5678"));
  EXPECT_NE(ClientThrottleKey(account, "2001:db8:1:2::1"),
            ClientThrottleKey(account, "2001:db8:1:3::1"));
}

TEST(UserLoginThrottleTest, ClientNetworks) {
  EXPECT_EQ(ClientNetwork("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(ClientNetwork("::ffff:10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(ClientNetwork("::1"), "::/64");
  EXPECT_EQ(ClientNetwork("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientNetwork(""), "");
  EXPECT_EQ(ClientNetwork(std::string("1.2\0.3\n", 7)), "1.2?.3?");
  EXPECT_EQ(ClientNetwork(std::string(500, '1')).size(), 100u);
}

}  // namespace
}  // namespace mercato::user
