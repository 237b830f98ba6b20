// Service identity without I/O: minting and reuse of service tokens, what a callee accepts
// (libs/auth/service_token.h), and the cache of verified tokens.
#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "auth/jwt.h"
#include "auth/service_token.h"
#include "auth/token_cache.h"
#include "common/ids.h"
#include "common/status.h"
#include "support/identity.h"

namespace mercato {
namespace {

using auth::ServiceTokenMinter;
using auth::ServiceTokenVerifier;
using Clock = std::chrono::system_clock;
using std::chrono::seconds;
using testing::TestKey;

const Clock::time_point kNow = Clock::time_point(seconds(1'800'000'000));
const std::string kUserId = "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13";

// The claims of one of our tokens (through libs/auth's own reader).
nlohmann::json Claims(const std::string& token) {
  auto claims = auth::ReadClaims(token, "test token");
  EXPECT_TRUE(claims.ok()) << claims.status();
  return claims.ok() ? *claims : nlohmann::json();
}

nlohmann::json ServiceClaims(const std::string& iss, const std::string& aud, Clock::time_point at,
                             int64_t lifetime = 60) {
  const int64_t iat = std::chrono::duration_cast<seconds>(at.time_since_epoch()).count();
  return {{"iss", iss}, {"aud", aud}, {"iat", iat}, {"exp", iat + lifetime}, {"jti", NewUuid()}};
}

ServiceTokenVerifier CatalogVerifier() {
  return ServiceTokenVerifier("catalog", {{"gateway", TestKey("gateway").verifying_key()},
                                          {"cart", TestKey("cart").verifying_key()},
                                          {"checkout", TestKey("checkout").verifying_key()}});
}

void ExpectRefused(const std::string& token,
                   absl::StatusCode code = absl::StatusCode::kUnauthenticated,
                   Clock::time_point at = kNow) {
  auto caller = CatalogVerifier().Verify(token, at);
  ASSERT_FALSE(caller.ok()) << token;
  EXPECT_EQ(caller.status().code(), code) << caller.status();
}

TEST(ServiceTokenTest, MintedTokenNamesBothServicesAndLivesAMinute) {
  ServiceTokenMinter minter("cart", TestKey("cart"));
  auto token = minter.TokenFor("catalog", kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  const nlohmann::json claims = Claims(*token);
  EXPECT_EQ(claims["iss"], "cart");
  EXPECT_EQ(claims["aud"], "catalog");
  EXPECT_EQ(claims["iat"], 1'800'000'000);
  EXPECT_EQ(claims["exp"], 1'800'000'060);
  EXPECT_TRUE(IsUuid(claims["jti"].get<std::string>()));
  auto caller = CatalogVerifier().Verify(*token, kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(*caller, "cart");
}

TEST(ServiceTokenTest, TokenIsReusedForHalfItsLifeThenReplaced) {
  ServiceTokenMinter minter("checkout", TestKey("checkout"));
  const std::string first = *minter.TokenFor("catalog", kNow);
  EXPECT_EQ(*minter.TokenFor("catalog", kNow + seconds(29)), first);
  const std::string other_audience = *minter.TokenFor("payment", kNow + seconds(29));
  EXPECT_NE(other_audience, first);
  EXPECT_EQ(Claims(other_audience)["aud"], "payment");
  const std::string second = *minter.TokenFor("catalog", kNow + seconds(30));
  EXPECT_NE(second, first);
  EXPECT_EQ(Claims(second)["iat"], 1'800'000'030);
  EXPECT_EQ(*minter.TokenFor("catalog", kNow + seconds(59)), second);
}

TEST(ServiceTokenTest, ExpiryAndClockSkew) {
  const std::string token =
      testing::SignedToken(ServiceClaims("gateway", "catalog", kNow), "gateway");
  EXPECT_TRUE(CatalogVerifier().Verify(token, kNow + seconds(60 + 29)).ok());
  auto expired = CatalogVerifier().Verify(token, kNow + seconds(60 + 30));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeOf(expired.status()), "token_expired");
  // Issued "in the future" beyond the skew allowance, or living longer than a minute.
  ExpectRefused(
      testing::SignedToken(ServiceClaims("gateway", "catalog", kNow + seconds(31)), "gateway"));
  ExpectRefused(testing::SignedToken(ServiceClaims("gateway", "catalog", kNow, 61), "gateway"));
}

// Issue 15, defect 13, for service tokens: the time claims are bounded (1970..2106) before
// any arithmetic (auth::CheckLifetime, shared with access tokens), so an overflowing exp - iat
// never passes as a one-minute lifetime.
TEST(ServiceTokenTest, ExtremeTimeClaimsAreRefusedWithoutOverflow) {
  const int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  struct Case {
    const char* what;
    nlohmann::json iat, exp, nbf;
  };
  const Case cases[] = {
      {"the reported pair", kMin + 1, kMax - 1000, nullptr},
      {"iat negative", -1, now + 30, nullptr},
      {"exp at the top", now, kMax, nullptr},
      {"exp after 2106", now, int64_t{1} << 32, nullptr},
      {"both far away, a minute apart", kMax - 60, kMax, nullptr},
      {"both at the bottom", kMin, kMin + 60, nullptr},
      {"nbf at the bottom", now, now + 60, kMin},
      {"nbf at the top", now, now + 60, kMax},
      {"fractional iat", static_cast<double>(now), now + 60, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    nlohmann::json claims = ServiceClaims("gateway", "catalog", kNow);
    claims["iat"] = c.iat;
    claims["exp"] = c.exp;
    if (!c.nbf.is_null()) claims["nbf"] = c.nbf;
    ExpectRefused(testing::SignedToken(claims, "gateway"));
  }
  // The control: in-range claims with a past nbf are accepted.
  nlohmann::json claims = ServiceClaims("gateway", "catalog", kNow);
  claims["nbf"] = now - 10;
  EXPECT_TRUE(CatalogVerifier().Verify(testing::SignedToken(claims, "gateway"), kNow).ok());
}

TEST(ServiceTokenTest, CachedTokensStillExpireAndTamperedCopiesStillFail) {
  const ServiceTokenVerifier verifier = CatalogVerifier();
  const std::string token = testing::SignedToken(ServiceClaims("cart", "catalog", kNow), "cart");
  ASSERT_TRUE(verifier.Verify(token, kNow).ok());
  ASSERT_TRUE(verifier.Verify(token, kNow + seconds(1)).ok());
  EXPECT_FALSE(verifier.Verify(token, kNow + seconds(90)).ok());
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifier.Verify(tampered, kNow).ok());
}

TEST(ServiceTokenTest, OnlyTheCallersKeyAndThisAudienceWork) {
  // Signed by another key in the gateway's name.
  ExpectRefused(testing::SignedToken(ServiceClaims("gateway", "catalog", kNow), "impostor"));
  // The gateway's real token for another service, replayed here.
  ExpectRefused(testing::SignedToken(ServiceClaims("gateway", "user", kNow), "gateway"));
  nlohmann::json no_jti = ServiceClaims("gateway", "catalog", kNow);
  no_jti.erase("jti");
  ExpectRefused(testing::SignedToken(no_jti, "gateway"));
}

TEST(ServiceTokenTest, AServiceThatMayNotCallIsDeniedNotUnauthenticated) {
  // Payment calls no one; its properly signed token still names a service catalog does not
  // serve.
  ExpectRefused(testing::SignedToken(ServiceClaims("payment", "catalog", kNow), "payment"),
                absl::StatusCode::kPermissionDenied);
  ServiceTokenVerifier payment("payment", {{"checkout", TestKey("checkout").verifying_key()}});
  auto denied = payment.Verify(testing::ServiceToken("cart", "payment", kNow), kNow);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "service 'cart' may not call payment");
  // A name that is no service name at all is not echoed.
  ExpectRefused(testing::SignedToken(ServiceClaims("Evil <script>", "catalog", kNow), "gateway"));
}

std::string Base64Url(const std::string& text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

// A token's first two parts, hand-made the way an attacker would.
std::string HeaderAndClaims(const std::string& header, const nlohmann::json& claims) {
  return Base64Url(header) + "." + Base64Url(claims.dump());
}

TEST(ServiceTokenTest, OtherAlgorithmsAreRefusedBeforeLibjwtSeesThem) {
  const nlohmann::json claims = ServiceClaims("gateway", "catalog", kNow);
  // HS256 keyed with the gateway's public key text: libjwt alone would accept it.
  jwt_t* jwt = nullptr;
  ASSERT_EQ(jwt_new(&jwt), 0);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  const std::string& public_pem = TestKey("gateway").verifying_key().pem();
  jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(public_pem.data()),
              static_cast<int>(public_pem.size()));
  char* hs256 = jwt_encode_str(jwt);
  ExpectRefused(hs256);
  std::free(hs256);
  jwt_free(jwt);
  ExpectRefused(HeaderAndClaims(R"({"alg":"none","typ":"JWT"})", claims) + ".");
  const std::string real = testing::SignedToken(claims, "gateway");
  const std::string signature = real.substr(real.rfind('.'));
  ExpectRefused(HeaderAndClaims(R"({"alg":"ES384","typ":"JWT"})", claims) + signature);
  ExpectRefused(HeaderAndClaims(R"({"alg":"ES256","crit":["x"]})", claims) + signature);
  for (const std::string& garbage :
       {std::string(""), std::string("a.b.c"), std::string(5000, 'a'), real + ".x"}) {
    ExpectRefused(garbage);
  }
}

TEST(VerifiedTokenCacheTest, EntriesEndAtTheirValidityAndTheSizeIsBounded) {
  auth::VerifiedTokenCache<int> cache(2);
  cache.Insert("a", 1, kNow + seconds(10), kNow);
  cache.Insert("b", 2, kNow + seconds(20), kNow);
  EXPECT_EQ(cache.Find("a", kNow + seconds(9)), 1);
  EXPECT_EQ(cache.Find("a", kNow + seconds(10)), std::nullopt);
  EXPECT_EQ(cache.Find("c", kNow), std::nullopt);
  // Full: the expired "a" makes room.
  cache.Insert("c", 3, kNow + seconds(30), kNow + seconds(15));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("b", kNow + seconds(15)), 2);
  // Full of valid entries: one of them makes room for the newest.
  cache.Insert("d", 4, kNow + seconds(30), kNow + seconds(15));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("d", kNow + seconds(15)), 4);
  EXPECT_NE(cache.Find("b", kNow + seconds(15)).has_value(),
            cache.Find("c", kNow + seconds(15)).has_value());
}

}  // namespace
}  // namespace mercato
