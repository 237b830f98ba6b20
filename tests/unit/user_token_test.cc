// Access tokens end to end without I/O: what the user service issues (libjwt, ES256 with its
// private key) and what the gateway and the backends accept (libs/auth/access_token.h, with the
// public key). Every forged or stale variant must be refused.
#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "auth/access_token.h"
#include "common/ids.h"
#include "common/status.h"
#include "gateway/auth.h"
#include "support/identity.h"
#include "user/access_token.h"

namespace mercato {
namespace {

using Clock = std::chrono::system_clock;
using auth::AccessTokenVerifier;
using std::chrono::seconds;

const auth::SigningKey& Key() { return testing::TestKey(testing::kAccessTokenKeyName); }
// The private key's PEM, for signing forgeries through libjwt directly.
const std::string& kKey = Key().pem();
// What an attacker has: the public key (and keys of their own).
const std::string& kPublicKey = Key().verifying_key().pem();
const std::string kUserId = "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13";
const Clock::time_point kNow = Clock::time_point(seconds(1'800'000'000));

std::string Base64Url(const std::string& text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string DecodeBase64Url(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                    text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(len);
  return out;
}

std::vector<std::string> Parts(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

nlohmann::json StandardClaims() {
  const int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  return {{"iss", "mercato"}, {"aud", "mercato-api"}, {"sub", kUserId},  {"role", "customer"},
          {"iat", now},       {"exp", now + 900},     {"jti", NewUuid()}};
}

// A token signed by libjwt with any algorithm and key, for the forgeries.
std::string Sign(const nlohmann::json& claims, jwt_alg_t alg, const std::string& key) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.dump().c_str()), 0);
  EXPECT_EQ(jwt_set_alg(
                jwt, alg,
                alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size())),
            0);
  char* encoded = jwt_encode_str(jwt);
  std::string out = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return out;
}

std::string Issue(const std::string& role = "customer", Clock::time_point at = kNow) {
  user::AccessTokenIssuer issuer(Key(), seconds(900));
  auto token = issuer.Issue(kUserId, role, at);
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

AccessTokenVerifier Verifier() { return AccessTokenVerifier(Key().verifying_key(), seconds(30)); }

void ExpectRefused(const std::string& token, const std::string& code = "invalid_token") {
  auto verified = Verifier().Verify(token, kNow);
  ASSERT_FALSE(verified.ok()) << token;
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated) << token;
  EXPECT_EQ(ErrorCodeOf(verified.status()), code) << verified.status();
}

TEST(UserTokenTest, IssuedTokenHasTheAgreedClaimsAndVerifies) {
  const std::string token = Issue("admin");
  const auto parts = Parts(token);
  ASSERT_EQ(parts.size(), 3u);
  const auto header = nlohmann::json::parse(DecodeBase64Url(parts[0]));
  EXPECT_EQ(header["alg"], "ES256");
  const auto claims = nlohmann::json::parse(DecodeBase64Url(parts[1]));
  EXPECT_EQ(claims["iss"], "mercato");
  EXPECT_EQ(claims["aud"], "mercato-api");
  EXPECT_EQ(claims["sub"], kUserId);
  EXPECT_EQ(claims["role"], "admin");
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 900);
  EXPECT_EQ(claims["iat"].get<int64_t>(), 1'800'000'000);
  EXPECT_TRUE(IsUuid(claims["jti"].get<std::string>()));
  EXPECT_NE(Parts(Issue("admin"))[1], parts[1]) << "jti must differ per token";

  auto verified = Verifier().Verify(token, kNow + seconds(899));
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->user_id, kUserId);
  EXPECT_EQ(verified->role, "admin");
  EXPECT_EQ(verified->expires_at, kNow + seconds(900));
}

TEST(UserTokenTest, OnlyThePrivateKeyCanIssue) {
  // A token the user service signed verifies with the public key alone; anyone else's key,
  // however the token is made, does not.
  EXPECT_TRUE(Verifier().Verify(Issue(), kNow).ok());
  user::AccessTokenIssuer impostor(testing::TestKey("impostor"), seconds(900));
  ExpectRefused(*impostor.Issue(kUserId, "admin", kNow));
}

TEST(UserTokenTest, AlgNoneIsRefused) {
  // Built by hand, the way an attacker would, and through libjwt.
  nlohmann::json claims = StandardClaims();
  claims["role"] = "admin";
  for (const char* alg : {"none", "None", "NONE"}) {
    ExpectRefused(Base64Url(nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump()) + "." +
                  Base64Url(claims.dump()) + ".");
  }
  ExpectRefused(Sign(claims, JWT_ALG_NONE, ""));
  // alg none with the real signature still attached.
  const auto real = Parts(Issue());
  ExpectRefused(Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + real[1] + "." + real[2]);
}

TEST(UserTokenTest, OtherAlgorithmsAreRefusedEvenWithTheRightKey) {
  // HMAC keyed with the public key's text (which anyone has): the algorithm-confusion attack,
  // which libjwt on its own would accept.
  ExpectRefused(Sign(StandardClaims(), JWT_ALG_HS256, kPublicKey));
  ExpectRefused(Sign(StandardClaims(), JWT_ALG_HS384, kPublicKey));
  ExpectRefused(Sign(StandardClaims(), JWT_ALG_HS512, kPublicKey));
  const auto real = Parts(Issue());
  ExpectRefused(Base64Url(R"({"alg":"HS256","typ":"JWT"})") + "." + real[1] + "." + real[2]);
  ExpectRefused(Base64Url(R"({"alg":"ES384","typ":"JWT"})") + "." + real[1] + "." + real[2]);
  ExpectRefused(Base64Url(R"({"typ":"JWT"})") + "." + real[1] + "." + real[2]);
  ExpectRefused(Base64Url(R"({"alg":["ES256"]})") + "." + real[1] + "." + real[2]);
  ExpectRefused(Base64Url(R"({"alg":"ES256","crit":["exp"]})") + "." + real[1] + "." + real[2]);
}

TEST(UserTokenTest, TamperedSignatureIsRefused) {
  const std::string token = Issue();
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  ExpectRefused(tampered);
  const auto parts = Parts(token);
  ExpectRefused(parts[0] + "." + parts[1] + "." + Base64Url(std::string(64, '\0')));
  ExpectRefused(parts[0] + "." + parts[1] + ".");
  ExpectRefused(parts[0] + "." + parts[1]);
}

TEST(UserTokenTest, TamperedClaimsAreRefused) {
  const auto parts = Parts(Issue("customer"));
  nlohmann::json claims = nlohmann::json::parse(DecodeBase64Url(parts[1]));
  claims["role"] = "admin";
  ExpectRefused(parts[0] + "." + Base64Url(claims.dump()) + "." + parts[2]);
  claims = nlohmann::json::parse(DecodeBase64Url(parts[1]));
  claims["sub"] = NewUuid();
  ExpectRefused(parts[0] + "." + Base64Url(claims.dump()) + "." + parts[2]);
}

TEST(UserTokenTest, WrongKeyIsRefused) {
  ExpectRefused(Sign(StandardClaims(), JWT_ALG_ES256, testing::TestKey("impostor").pem()));
  // The right token, checked with another service's public key.
  EXPECT_FALSE(AccessTokenVerifier(testing::TestKey("gateway").verifying_key(), seconds(30))
                   .Verify(Issue(), kNow)
                   .ok());
}

TEST(UserTokenTest, ExpiryHonoursTheClockSkewAllowance) {
  const std::string token = Issue();
  EXPECT_TRUE(Verifier().Verify(token, kNow + seconds(900 + 29)).ok());
  auto expired = Verifier().Verify(token, kNow + seconds(900 + 30));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeOf(expired.status()), "token_expired");
  EXPECT_FALSE(AccessTokenVerifier(Key().verifying_key(), seconds(0))
                   .Verify(token, kNow + seconds(900))
                   .ok());
  ExpectRefused(Issue("customer", kNow - seconds(3600)), "token_expired");
  // A verifier remembers the tokens it accepted, but not past their expiry.
  const AccessTokenVerifier remembering = Verifier();
  ASSERT_TRUE(remembering.Verify(token, kNow).ok());
  EXPECT_EQ(ErrorCodeOf(remembering.Verify(token, kNow + seconds(900 + 30)).status()),
            "token_expired");
}

// Issue 15, defect 13: exp - iat once overflowed int64, so a token signed with
// exp = 2^63 - 1000 and iat = -2^63 + 1 passed as a short lifetime and never expired.
TEST(UserTokenTest, ExtremeTimeClaimsAreRefusedWithoutOverflow) {
  const int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  struct Case {
    const char* what;
    nlohmann::json iat, exp, nbf;
  };
  const Case cases[] = {
      {"the reported pair", kMin + 1, kMax - 1000, nullptr},
      {"iat at the bottom", kMin, now + 600, nullptr},
      {"iat negative", -1, now + 600, nullptr},
      {"exp at the top", now, kMax, nullptr},
      {"exp after 2106", now, int64_t{1} << 32, nullptr},
      {"both far away, 15 minutes apart", kMax - 900, kMax, nullptr},
      {"both at the bottom", kMin, kMin + 900, nullptr},
      {"nbf at the bottom", now, now + 600, kMin},
      {"nbf at the top", now, now + 600, kMax},
      {"nbf negative", now, now + 600, -1},
      {"fractional exp", now, static_cast<double>(now + 600), nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    nlohmann::json claims = StandardClaims();
    claims["iat"] = c.iat;
    claims["exp"] = c.exp;
    if (!c.nbf.is_null()) claims["nbf"] = c.nbf;
    ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  }
  // The control: in-range claims with a past nbf are accepted.
  nlohmann::json claims = StandardClaims();
  claims["nbf"] = now - 60;
  EXPECT_TRUE(Verifier().Verify(Sign(claims, JWT_ALG_ES256, kKey), kNow).ok());
}

TEST(UserTokenTest, WrongAudienceOrIssuerIsRefused) {
  nlohmann::json claims = StandardClaims();
  claims["aud"] = "someone-else";
  ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  claims["aud"] = nlohmann::json::array({"someone-else"});
  ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  claims.erase("aud");
  ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  claims = StandardClaims();
  claims["aud"] = nlohmann::json::array({"other", "mercato-api"});
  EXPECT_TRUE(Verifier().Verify(Sign(claims, JWT_ALG_ES256, kKey), kNow).ok());

  claims = StandardClaims();
  claims["iss"] = "evil";
  ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  claims.erase("iss");
  ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
}

TEST(UserTokenTest, MissingOrOddClaimsAreRefused) {
  const int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  struct Case {
    const char* what;
    void (*mutate)(nlohmann::json&, int64_t now);
  };
  const Case cases[] = {
      {"no exp", [](nlohmann::json& c, int64_t) { c.erase("exp"); }},
      {"string exp", [](nlohmann::json& c, int64_t n) { c["exp"] = std::to_string(n + 60); }},
      {"no iat", [](nlohmann::json& c, int64_t) { c.erase("iat"); }},
      {"iat in the future",
       [](nlohmann::json& c, int64_t n) {
         c["iat"] = n + 120;
         c["exp"] = n + 600;
       }},
      {"lifetime over 15 minutes", [](nlohmann::json& c, int64_t n) { c["exp"] = n + 901; }},
      {"nbf in the future", [](nlohmann::json& c, int64_t n) { c["nbf"] = n + 120; }},
      {"no sub", [](nlohmann::json& c, int64_t) { c.erase("sub"); }},
      {"sub not a uuid", [](nlohmann::json& c, int64_t) { c["sub"] = "1 OR 1=1"; }},
      {"unknown role", [](nlohmann::json& c, int64_t) { c["role"] = "root"; }},
      {"no role", [](nlohmann::json& c, int64_t) { c.erase("role"); }},
      {"no jti", [](nlohmann::json& c, int64_t) { c.erase("jti"); }},
  };
  for (const Case& c : cases) {
    nlohmann::json claims = StandardClaims();
    c.mutate(claims, now);
    SCOPED_TRACE(c.what);
    ExpectRefused(Sign(claims, JWT_ALG_ES256, kKey));
  }
}

TEST(UserTokenTest, GarbageIsRefused) {
  for (const std::string& garbage :
       {std::string(""), std::string("garbage"), std::string("a.b.c"), std::string(".."),
        std::string("...."), std::string("Bearer x"), std::string("eyJhbGciOiJIUzI1NiJ9"),
        std::string("eyJhbGciOiJIUzI1NiJ9..sig"), std::string("!!!.@@@.###"),
        std::string(5000, 'a'), Issue() + ".extra", " " + Issue(),
        Base64Url("[1,2]") + "." + Base64Url("{}") + ".c2ln"}) {
    ExpectRefused(garbage);
  }
}

gateway::HttpRequest RequestWith(const std::string& authorization) {
  gateway::HttpRequest r;
  r.headers.set(gateway::http::field::authorization, authorization);
  return r;
}

TEST(UserTokenTest, BearerHeaderParsing) {
  auto none = gateway::BearerToken(gateway::HttpRequest{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto token = gateway::BearerToken(RequestWith("Bearer abc.def.ghi"));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(**token, "abc.def.ghi");
  EXPECT_EQ(**gateway::BearerToken(RequestWith("bearer   abc ")), "abc");
  for (const char* bad : {"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"}) {
    auto r = gateway::BearerToken(RequestWith(bad));
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorCodeOf(r.status()), "invalid_token") << bad;
  }
}

TEST(UserTokenTest, AuthenticateAppliesTheRoutePolicy) {
  using gateway::AuthPolicy;
  const auto verifier = Verifier();
  const gateway::HttpRequest anonymous;
  const gateway::HttpRequest good = RequestWith("Bearer " + Issue());
  const gateway::HttpRequest bad = RequestWith("Bearer " + Issue() + "x");

  // kNone ignores the header, even a bad one.
  EXPECT_FALSE(gateway::Authenticate(verifier, AuthPolicy::kNone, bad, kNow)->has_value());
  EXPECT_FALSE(gateway::Authenticate(verifier, AuthPolicy::kNone, good, kNow)->has_value());

  EXPECT_FALSE(
      gateway::Authenticate(verifier, AuthPolicy::kOptional, anonymous, kNow)->has_value());
  auto optional_good = gateway::Authenticate(verifier, AuthPolicy::kOptional, good, kNow);
  ASSERT_TRUE(optional_good.ok() && optional_good->has_value());
  EXPECT_EQ((*optional_good)->user_id, kUserId);
  EXPECT_EQ(ErrorCodeOf(gateway::Authenticate(verifier, AuthPolicy::kOptional, bad, kNow).status()),
            "invalid_token");

  auto required_none = gateway::Authenticate(verifier, AuthPolicy::kRequired, anonymous, kNow);
  EXPECT_EQ(required_none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeOf(required_none.status()), "authentication_required");
  EXPECT_EQ(gateway::Authenticate(verifier, AuthPolicy::kRequired, bad, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto required_good = gateway::Authenticate(verifier, AuthPolicy::kRequired, good, kNow);
  ASSERT_TRUE(required_good.ok() && required_good->has_value());
  EXPECT_EQ((*required_good)->role, "customer");
}

TEST(UserTokenTest, UnauthorizedResponseIs401WithAChallenge) {
  auto response = gateway::UnauthorizedResponse(
      ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_token", "bad"));
  EXPECT_EQ(response.status, 401u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(response.headers[0].second, "Bearer realm=\"mercato\", error=\"invalid_token\"");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "invalid_token");
}

}  // namespace
}  // namespace mercato
