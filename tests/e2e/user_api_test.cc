// Black-box: accounts and authentication through the real gateway and user binaries, over
// HTTP, with a real PostgreSQL: registration, sign-in, refresh rotation and reuse detection,
// logout, forged tokens, address ownership, brute-force limits, and that no secret reaches
// a log line.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <jwt.h>

#include <chrono>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/addresses.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/postgres.h"
#include "support/suite.h"
#include "support/suite_test.h"
#include "user/access_token.h"

namespace mercato::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kDatabase[] = "user_e2e_users";
constexpr char kPassword[] = "correct horse battery staple";
constexpr char kAdminEmail[] = "admin@mercato.local";
constexpr char kAdminPassword[] = "mercato-admin";

class UserApiTest : public SuiteTest<UserApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "user"},
            .with_dependencies = false,
            // The test plays the ingress: X-Forwarded-For names
            // the client, as behind the chart's ingress.
            .env = {{"gateway", {{"MERCATO_TRUSTED_PROXIES", "127.0.0.1"}}},
                    {"user",
                     {{"MERCATO_ADMIN_EMAIL", kAdminEmail},
                      {"MERCATO_ADMIN_PASSWORD", kAdminPassword}}}},
            .database_prefix = "user_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    secrets_ = new std::set<std::string>{kPassword, kAdminPassword};
  }
  static void TearDownTestSuite() {
    delete secrets_;
    secrets_ = nullptr;
    SuiteTest::TearDownTestSuite();
  }

 protected:
  HttpClient http() const { return HttpClient(suite_->port("gateway")); }
  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }
  // Everything secret the tests handled, for the log check at the end.
  static void Remember(const std::string& secret) {
    if (!secret.empty()) secrets_->insert(secret);
  }

  static std::string UniqueEmail(const std::string& who) {
    return absl::StrCat(who, "-", RandomHex(4), "@example.com");
  }
  HttpResult Register(const std::string& email, const std::string& password = kPassword,
                      const std::string& name = "Test Shopper") {
    Remember(password);
    json body = json::object();
    body["email"] = email;
    body["password"] = password;
    body["name"] = name;
    return http().Post("/api/v1/users", body);
  }
  // From the client `from` (X-Forwarded-For), or from the ingress itself when empty.
  HttpResult Login(const std::string& email, const std::string& password = kPassword,
                   const std::string& from = "") {
    Remember(password);
    json body = json::object();
    body["email"] = email;
    body["password"] = password;
    std::map<std::string, std::string> headers;
    if (!from.empty()) headers["X-Forwarded-For"] = from;
    HttpResult r = http().Post("/api/v1/sessions", body, headers);
    if (r.status == 200) {
      Remember(r.json.value("access_token", ""));
      Remember(r.json.value("refresh_token", ""));
    }
    return r;
  }
  HttpResult Refresh(const std::string& token) {
    json body = json::object();
    body["refresh_token"] = token;
    HttpResult r = http().Post("/api/v1/sessions/refresh", body);
    if (r.status == 200) {
      Remember(r.json.value("access_token", ""));
      Remember(r.json.value("refresh_token", ""));
    }
    return r;
  }
  // A registered and signed-in shopper.
  struct Shopper {
    std::string id, email, access_token, refresh_token;
    std::map<std::string, std::string> auth() const {
      return {{"Authorization", "Bearer " + access_token}};
    }
  };
  Shopper SignedIn(const std::string& who) {
    Shopper s;
    s.email = UniqueEmail(who);
    HttpResult reg = Register(s.email);
    EXPECT_EQ(reg.status, 201) << reg.body;
    s.id = reg.json.value("id", "");
    HttpResult login = Login(s.email);
    EXPECT_EQ(login.status, 200) << login.body;
    s.access_token = login.json.value("access_token", "");
    s.refresh_token = login.json.value("refresh_token", "");
    return s;
  }
  static json AddressBody(const std::string& name) { return AddressJson(name, "Flat 2"); }
  HttpResult Me(const std::string& token) {
    return http().Get("/api/v1/me", {{"Authorization", "Bearer " + token}});
  }

  static std::set<std::string>* secrets_;
};

std::set<std::string>* UserApiTest::secrets_ = nullptr;

// A token signed through libjwt with any claims, algorithm and key (the forgeries).
std::string LibjwtToken(const json& claims, jwt_alg_t alg, const std::string& key) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  jwt_set_alg(jwt, alg,
              alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
              alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size()));
  char* encoded = jwt_encode_str(jwt);
  std::string out = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return out;
}

json ClaimsFor(const std::string& user_id) {
  const int64_t now =
      std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  json c = json::object();
  c["iss"] = "mercato";
  c["aud"] = "mercato-api";
  c["sub"] = user_id;
  c["role"] = "admin";
  c["iat"] = now;
  c["exp"] = now + 600;
  c["jti"] = NewUuid();
  return c;
}

TEST_F(UserApiTest, RegisterReturns201AndStoresOnlyAnArgon2idHash) {
  const std::string email = UniqueEmail("Ann");
  HttpResult r = Register("  " + absl::AsciiStrToUpper(email) + " ", kPassword, "Ann Smith");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(IsUuid(r.json["id"].get<std::string>()));
  EXPECT_EQ(r.json["email"], absl::AsciiStrToLower(email));
  EXPECT_EQ(r.json["name"], "Ann Smith");
  EXPECT_EQ(r.json["role"], "customer");
  EXPECT_FALSE(r.json.contains("password"));
  EXPECT_EQ(r.body.find("argon2"), std::string::npos);
  const std::string stored =
      Sql("SELECT password_hash FROM users WHERE id = '" + r.json["id"].get<std::string>() + "'");
  EXPECT_EQ(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << stored;
  EXPECT_EQ(stored.find(kPassword), std::string::npos);
  EXPECT_EQ(
      Sql("SELECT count(*) FROM users WHERE password_hash LIKE '%" + std::string(kPassword) + "%'"),
      "0");
}

TEST_F(UserApiTest, DuplicateEmailIs409WhateverTheCase) {
  const std::string email = UniqueEmail("dup");
  ASSERT_EQ(Register(email).status, 201);
  HttpResult again = Register(email);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json["error"]["code"], "email_taken");
  HttpResult upper = Register(absl::AsciiStrToUpper(email), "another fine password");
  EXPECT_EQ(upper.status, 409) << upper.body;
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE lower(email) = '" + email + "'"), "1");
}

TEST_F(UserApiTest, WeakPasswordIs400) {
  for (const char* weak : {"short", "123456789", "password123", "QWERTYUIOP"}) {
    const std::string email = UniqueEmail("weak");
    HttpResult r = Register(email, weak);
    EXPECT_EQ(r.status, 400) << weak << " " << r.body;
    EXPECT_EQ(r.json["error"]["code"], "weak_password") << weak;
    EXPECT_EQ(r.body.find(weak), std::string::npos) << "the password is not echoed";
    EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE email = '" + email + "'"), "0");
  }
  HttpResult bad_email = Register("not-an-email");
  EXPECT_EQ(bad_email.status, 400);
  EXPECT_EQ(bad_email.json["error"]["code"], "invalid_email");
}

TEST_F(UserApiTest, MalformedRequestsAre400WithACodeNamingTheProblem) {
  struct Case {
    std::string method, target, body, code;
  };
  const Case cases[] = {
      {"POST", "/api/v1/users", "{\"email\": ", "invalid_json"},
      {"POST", "/api/v1/users", "[1, 2]", "invalid_json"},
      {"POST", "/api/v1/users", "", "invalid_json"},
      {"POST", "/api/v1/users", R"({"email": 5, "password": "x", "name": "y"})", "invalid_field"},
      {"POST", "/api/v1/users", R"({"email": "a@example.com", "name": "y"})", "missing_field"},
      {"POST", "/api/v1/users",
       R"({"email": "a@example.com", "password": "long enough pw", "name": "y", "admin": true})",
       "unknown_field"},
      {"POST", "/api/v1/sessions", "not json at all", "invalid_json"},
      {"POST", "/api/v1/sessions", R"({"email": "a@example.com", "password": ["x"]})",
       "invalid_field"},
      {"POST", "/api/v1/sessions/refresh", "{}", "missing_field"},
      {"POST", "/api/v1/sessions/refresh", R"({"refresh_token": 42})", "invalid_field"},
      {"DELETE", "/api/v1/sessions", "{oops}", "invalid_json"},
  };
  for (const Case& c : cases) {
    HttpResult r = http().Send(c.method, c.target, c.body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400) << c.method << " " << c.target << " " << c.body << " -> " << r.body;
    EXPECT_EQ(r.json["error"]["code"], c.code) << c.body;
  }
  Shopper s = SignedIn("malformed");
  for (const auto& [method, target, body, code] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"PATCH", "/api/v1/me", "{\"name\": ", "invalid_json"},
           {"PATCH", "/api/v1/me", R"({"name": null})", "missing_field"},
           {"POST", "/api/v1/me/addresses", "[]", "invalid_json"},
           {"POST", "/api/v1/me/addresses", R"({"name": "A", "line1": "B", "city": "C"})",
            "missing_field"},
           {"POST", "/api/v1/me/addresses",
            R"({"name": "A", "line1": "B", "city": "C", "country": 49})", "invalid_field"},
           {"POST", "/api/v1/me/addresses",
            R"({"name": "A", "line1": "B", "city": "C", "country": "XX"})", "invalid_address"},
           {"POST", "/api/v1/me/addresses",
            R"({"name": "A", "line1": "B", "city": "C", "country": "DE", "zip": "1"})",
            "unknown_field"},
       }) {
    HttpResult r = http().Send(method, target, body, s.auth());
    EXPECT_EQ(r.status, 400) << method << " " << target << " " << body << " -> " << r.body;
    EXPECT_EQ(r.json["error"]["code"], code) << body;
  }
}

TEST_F(UserApiTest, LoginReturnsTokensAndWrongCredentialsAre401) {
  const std::string email = UniqueEmail("login");
  HttpResult reg = Register(email);
  ASSERT_EQ(reg.status, 201);
  HttpResult r = Login(absl::AsciiStrToUpper(email));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_EQ(r.json["expires_in"], 900);
  EXPECT_EQ(r.json["token_type"], "Bearer");
  const std::string access = r.json["access_token"];
  EXPECT_EQ(std::count(access.begin(), access.end(), '.'), 2);
  EXPECT_EQ(r.json["refresh_token"].get<std::string>().size(), 43u);
  EXPECT_EQ(r.json["user"]["id"], reg.json["id"]);

  HttpResult me = Me(r.json["access_token"]);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json["id"], reg.json["id"]);
  EXPECT_EQ(me.json["email"], email);
  EXPECT_EQ(me.json["role"], "customer");

  HttpResult wrong = Login(email, "not the right password");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(wrong.json["error"]["code"], "invalid_credentials");
  HttpResult unknown = Login(UniqueEmail("nobody"));
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.json["error"]["message"], wrong.json["error"]["message"]);
}

TEST_F(UserApiTest, RefreshRotatesAndReuseRevokesTheFamily) {
  Shopper s = SignedIn("rotate");
  HttpResult second = Refresh(s.refresh_token);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.Header("cache-control"), "no-store");
  const std::string r2 = second.json["refresh_token"];
  EXPECT_NE(r2, s.refresh_token);
  EXPECT_EQ(Me(second.json["access_token"]).status, 200);

  // The old token stopped working at once; presenting it revokes the whole family.
  HttpResult reused = Refresh(s.refresh_token);
  EXPECT_EQ(reused.status, 401) << reused.body;
  EXPECT_EQ(reused.json["error"]["code"], "invalid_refresh_token");
  HttpResult successor = Refresh(r2);
  EXPECT_EQ(successor.status, 401) << "the family was revoked: " << successor.body;
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE user_id = '" + s.id +
                "' AND revoked_at IS NULL"),
            "0");
  // Signing in again starts a fresh family.
  HttpResult again = Login(s.email);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(Refresh(again.json["refresh_token"]).status, 200);
}

TEST_F(UserApiTest, LogoutIs204ThenRefreshIs401) {
  Shopper s = SignedIn("logout");
  json body = json::object();
  body["refresh_token"] = s.refresh_token;
  HttpResult out = http().Send("DELETE", "/api/v1/sessions", body.dump());
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(out.body.empty());
  EXPECT_EQ(Refresh(s.refresh_token).status, 401);
  // Idempotent, also for a token that never existed.
  EXPECT_EQ(http().Send("DELETE", "/api/v1/sessions", body.dump()).status, 204);
  body["refresh_token"] = "never-issued";
  EXPECT_EQ(http().Send("DELETE", "/api/v1/sessions", body.dump()).status, 204);
}

TEST_F(UserApiTest, MeWithoutATokenIs401WithAChallenge) {
  HttpResult r = http().Get("/api/v1/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json["error"]["code"], "authentication_required");
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"mercato\"");
  HttpResult basic = http().Get("/api/v1/me", {{"Authorization", "Basic YTpi"}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(basic.json["error"]["code"], "invalid_token");
}

TEST_F(UserApiTest, EveryForgedTokenIs401) {
  Shopper s = SignedIn("forged");
  const json claims = ClaimsFor(s.id);
  const std::string real = s.access_token;
  const std::string header = real.substr(0, real.find('.'));
  const std::string payload_and_sig = real.substr(real.find('.') + 1);
  const std::string payload = payload_and_sig.substr(0, payload_and_sig.find('.'));

  json wrong_aud = claims;
  wrong_aud["aud"] = "another-api";
  json wrong_iss = claims;
  wrong_iss["iss"] = "evil";
  json no_exp = claims;
  no_exp.erase("exp");
  std::string tampered = real;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  user::AccessTokenIssuer issuer(TestKey(kAccessTokenKeyName), seconds(900));
  // What anyone may have: the public key (the text an HMAC forgery would be keyed with).
  const std::string& public_key = TestKey(kAccessTokenKeyName).verifying_key().pem();
  const std::string expired =
      *issuer.Issue(s.id, "customer", std::chrono::system_clock::now() - seconds(3600));

  const std::map<std::string, std::string> forgeries = {
      {"alg none", LibjwtToken(claims, JWT_ALG_NONE, "")},
      {"alg none with the real signature",
       "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload_and_sig},
      {"HS256 keyed with the public key", LibjwtToken(claims, JWT_ALG_HS256, public_key)},
      {"HS512 keyed with the public key", LibjwtToken(claims, JWT_ALG_HS512, public_key)},
      {"another key", SignedToken(claims, "impostor")},
      {"tampered signature", tampered},
      {"signature stripped", header + "." + payload + "."},
      {"expired", expired},
      {"wrong audience", SignedToken(wrong_aud, kAccessTokenKeyName)},
      {"wrong issuer", SignedToken(wrong_iss, kAccessTokenKeyName)},
      {"no expiry", SignedToken(no_exp, kAccessTokenKeyName)},
      {"garbage", "garbage"},
      {"three dots of garbage", "a.b.c"},
  };
  for (const auto& [what, token] : forgeries) {
    Remember(token);
    HttpResult r = Me(token);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(r.json["error"]["code"], what == "expired" ? "token_expired" : "invalid_token")
        << what;
    EXPECT_NE(r.Header("www-authenticate").find("error=\"invalid_token\""), std::string::npos)
        << what;
  }
  // The control: a correctly signed token with the same claims is accepted (as an admin,
  // which shows that only the key, not the gateway, decides what a token may claim).
  HttpResult control = Me(SignedToken(claims, kAccessTokenKeyName));
  EXPECT_EQ(control.status, 200) << control.body;
  EXPECT_EQ(Me(real).status, 200);
}

// Issue 15, defect 13: a correctly signed token whose exp - iat overflowed int64 was accepted
// as never expiring.
TEST_F(UserApiTest, TokenWithOverflowingLifetimeIs401) {
  Shopper s = SignedIn("overflow");
  json claims = ClaimsFor(s.id);
  claims["exp"] = std::numeric_limits<int64_t>::max() - 1000;
  claims["iat"] = std::numeric_limits<int64_t>::min() + 1;
  const std::string token = SignedToken(claims, kAccessTokenKeyName);
  Remember(token);
  HttpResult r = Me(token);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.json["error"]["code"], "invalid_token");
  // Only the time claims made the difference.
  EXPECT_EQ(Me(SignedToken(ClaimsFor(s.id), kAccessTokenKeyName)).status, 200);
}

TEST_F(UserApiTest, ProfileNameCanBeChanged) {
  Shopper s = SignedIn("rename");
  HttpResult r = http().Send("PATCH", "/api/v1/me", R"({"name": "  New Name "})", s.auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["name"], "New Name");
  EXPECT_EQ(Me(s.access_token).json["name"], "New Name");
  EXPECT_EQ(http().Send("PATCH", "/api/v1/me", R"({"name": ""})", s.auth()).json["error"]["code"],
            "invalid_name");
}

TEST_F(UserApiTest, AddressBookCrud) {
  Shopper s = SignedIn("crud");
  HttpResult created =
      http().Send("POST", "/api/v1/me/addresses", AddressBody("Ann Smith").dump(), s.auth());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"];
  EXPECT_TRUE(IsUuid(id));
  EXPECT_EQ(created.Header("location"), "/api/v1/me/addresses/" + id);
  json expected = AddressBody("Ann Smith");
  expected["id"] = id;
  EXPECT_EQ(created.json, expected);

  HttpResult got = http().Get("/api/v1/me/addresses/" + id, s.auth());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json, expected);

  json changed = AddressBody("Ann B. Smith");
  changed["country"] = "fr";
  HttpResult put = http().Send("PUT", "/api/v1/me/addresses/" + id, changed.dump(), s.auth());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json["name"], "Ann B. Smith");
  EXPECT_EQ(put.json["country"], "FR");
  changed["id"] = NewUuid();
  EXPECT_EQ(http().Send("PUT", "/api/v1/me/addresses/" + id, changed.dump(), s.auth()).status, 400);

  HttpResult second =
      http().Send("POST", "/api/v1/me/addresses", AddressBody("Office").dump(), s.auth());
  ASSERT_EQ(second.status, 201);
  HttpResult list = http().Get("/api/v1/me/addresses", s.auth());
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["addresses"].size(), 2u);
  EXPECT_EQ(list.json["addresses"][0]["id"], id);
  EXPECT_EQ(list.json["addresses"][1]["name"], "Office");

  HttpResult del = http().Send("DELETE", "/api/v1/me/addresses/" + id, "", s.auth());
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(http().Get("/api/v1/me/addresses/" + id, s.auth()).status, 404);
  EXPECT_EQ(http().Send("DELETE", "/api/v1/me/addresses/" + id, "", s.auth()).status, 404);
  EXPECT_EQ(http().Get("/api/v1/me/addresses/not-a-uuid", s.auth()).status, 404);
  EXPECT_EQ(http().Get("/api/v1/me/addresses").status, 401);
}

TEST_F(UserApiTest, AnotherUsersAddressIs404) {
  Shopper ann = SignedIn("ann");
  Shopper bob = SignedIn("bob");
  HttpResult created =
      http().Send("POST", "/api/v1/me/addresses", AddressBody("Ann Smith").dump(), ann.auth());
  ASSERT_EQ(created.status, 201);
  const std::string id = created.json["id"];
  const std::string path = "/api/v1/me/addresses/" + id;

  HttpResult get = http().Get(path, bob.auth());
  EXPECT_EQ(get.status, 404) << get.body;
  EXPECT_EQ(get.json["error"]["code"], "address_not_found");
  EXPECT_EQ(http().Send("PUT", path, AddressBody("Bob").dump(), bob.auth()).status, 404);
  EXPECT_EQ(http().Send("DELETE", path, "", bob.auth()).status, 404);
  EXPECT_EQ(http().Get("/api/v1/me/addresses", bob.auth()).json["addresses"].size(), 0u);
  // Ann's address is untouched.
  HttpResult mine = http().Get(path, ann.auth());
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.json["name"], "Ann Smith");
}

TEST_F(UserApiTest, ClientSentIdentityHeadersAreIgnored) {
  Shopper ann = SignedIn("victim");
  Shopper bob = SignedIn("attacker");
  HttpResult created =
      http().Send("POST", "/api/v1/me/addresses", AddressBody("Victim").dump(), ann.auth());
  ASSERT_EQ(created.status, 201);
  const std::string path = "/api/v1/me/addresses/" + created.json["id"].get<std::string>();

  auto spoofed = bob.auth();
  spoofed["X-Mercato-User-Id"] = ann.id;
  spoofed["X-Mercato-User-Role"] = "admin";
  spoofed["x-mercato-user-id"] = ann.id;
  HttpResult me = http().Get("/api/v1/me", spoofed);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json["id"], bob.id);
  EXPECT_EQ(me.json["role"], "customer");
  EXPECT_EQ(http().Get(path, spoofed).status, 404);

  // Without a token the header alone is nobody.
  HttpResult anonymous = http().Get("/api/v1/me", {{"X-Mercato-User-Id", ann.id}});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(http().Get(path, {{"X-Mercato-User-Id", ann.id}}).status, 401);
}

TEST_F(UserApiTest, AdminAccountIsCreatedFromTheEnvironment) {
  HttpResult r = Login(kAdminEmail, kAdminPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["user"]["role"], "admin");
  HttpResult me = Me(r.json["access_token"]);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json["role"], "admin");
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE role = 'admin'"), "1");
}

TEST_F(UserApiTest, RepeatedFailedLoginsAre429WithRetryAfter) {
  const std::string email = UniqueEmail("brute");
  ASSERT_EQ(Register(email).status, 201);
  for (int i = 1; i <= 5; ++i) {
    HttpResult r = Login(email, absl::StrCat("guess number ", i));
    EXPECT_EQ(r.status, 401) << "attempt " << i << ": " << r.body;
  }
  // Locked now: even the right password is refused until Retry-After has passed.
  HttpResult locked = Login(email);
  ASSERT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(locked.json["error"]["code"], "too_many_attempts");
  EXPECT_EQ(locked.Header("retry-after"), "1");
  // The lock is on this account for this client only.
  Shopper other = SignedIn("bystander");
  EXPECT_FALSE(other.access_token.empty());
  // And it lifts.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Login(email).status, 200);
}

// Issue 15, defect 4: ten wrong passwords from anywhere made the owner's (the admin's too)
// correct password a 429 for 15 minutes, renewable for ever. Now the attacker's failures lock
// only the attacker's own client.
TEST_F(UserApiTest, FailuresFromOneClientNeverLockTheOwnerOutElsewhere) {
  const std::string email = UniqueEmail("target");
  ASSERT_EQ(Register(email).status, 201);
  for (const auto& [account, password, attacker, owner] :
       {std::tuple{email, std::string(kPassword), "198.51.100.66", "203.0.113.5"},
        std::tuple{std::string(kAdminEmail), std::string(kAdminPassword), "198.51.100.67",
                   "203.0.113.6"}}) {
    SCOPED_TRACE(account);
    for (int i = 1; i <= 5; ++i) {
      HttpResult r = Login(account, absl::StrCat("guess number ", i), attacker);
      EXPECT_EQ(r.status, 401) << "attempt " << i << ": " << r.body;
    }
    HttpResult locked = Login(account, password, attacker);
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_EQ(locked.json["error"]["code"], "too_many_attempts");
    HttpResult r = Login(account, password, owner);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["user"]["email"], account);
  }
}

// Issue 15, defect 3: behind an ingress without trusted proxies every shopper has the
// ingress's address, and more than 20 failures from it made every correct password a 429.
// Failures from one address no longer lock anybody else out.
TEST_F(UserApiTest, FailuresFromOneAddressLockNobodyElseOut) {
  const std::string email = UniqueEmail("behind-ingress");
  ASSERT_EQ(Register(email).status, 201);
  for (int i = 1; i <= 25; ++i) {
    HttpResult r = Login(UniqueEmail("sprayed"), "Spring2024!!");
    EXPECT_EQ(r.status, 401) << "attempt " << i << ": " << r.body;
  }
  HttpResult r = Login(email);  // from the same (the ingress's) address
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Login(email, kPassword, "203.0.113.7").status, 200);
}

// Issue 15, defect 5: "Kiki@" (Kelvin sign) and "kİki@" signed in as "kiki@" with an attempt
// budget of their own. Now every spelling that finds the account counts against it, and the
// dotted capital I (lower case "i" + U+0307) is another address, which has no account.
TEST_F(UserApiTest, UnicodeSpellingsOfAnEmailShareItsThrottle) {
  const std::string local = absl::StrCat("kiki-", RandomHex(4));
  const std::string email = local + "@example.com";
  const std::string kelvin = "\u212A" + local.substr(1) + "@example.com";
  const std::string dotted = "k\u0130" + local.substr(2) + "@example.com";
  ASSERT_EQ(Register(email).status, 201);
  HttpResult taken = Register(kelvin, "another fine password");
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(taken.json["error"]["code"], "email_taken");

  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(Login(email, absl::StrCat("guess number ", i)).status, 401) << "attempt " << i;
  }
  // Locked for a second now, whichever way the address is written.
  for (const std::string& spelling : {kelvin, absl::AsciiStrToUpper(email)}) {
    HttpResult r = Login(spelling);
    EXPECT_EQ(r.status, 429) << spelling << ": " << r.body;
    EXPECT_EQ(r.json["error"]["code"], "too_many_attempts") << spelling;
  }
  HttpResult other = Login(dotted);
  EXPECT_EQ(other.status, 401) << other.body;
  EXPECT_EQ(other.json["error"]["code"], "invalid_credentials");
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE email_key = '" + email + "'"), "1");
}

// GetContact over gRPC on the real binary: the notification service's token only.
TEST_F(UserApiTest, GetContactIsOpenToTheNotificationServiceOnly) {
  const Shopper shopper = SignedIn("contact");
  auto channel = grpc::CreateChannel(suite_->address("user"), grpc::InsecureChannelCredentials());
  auto stub = user::v1::UserService::NewStub(channel);
  user::v1::GetContactRequest request;
  request.set_user_id(shopper.id);
  user::v1::Contact contact;
  auto as_notification = CallAs("notification", "user");
  grpc::Status ok = stub->GetContact(as_notification.get(), request, &contact);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(contact.user_id(), shopper.id);
  EXPECT_EQ(contact.email(), absl::AsciiStrToLower(shopper.email));
  EXPECT_EQ(contact.name(), "Test Shopper");
  // The gateway, even with the shopper's own access token: PERMISSION_DENIED.
  for (const std::string& token : {std::string(), shopper.access_token}) {
    user::v1::Contact refused;
    auto as_gateway = CallAs("gateway", "user", token);
    EXPECT_EQ(stub->GetContact(as_gateway.get(), request, &refused).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(refused.email(), "");
  }
  // A service that may not call the user service at all, and no token at all.
  user::v1::Contact refused;
  auto as_checkout = CallAs("checkout", "user");
  EXPECT_EQ(stub->GetContact(as_checkout.get(), request, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto anonymous = CallAs("", "user");
  EXPECT_EQ(stub->GetContact(anonymous.get(), request, &refused).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Unknown ids.
  for (const std::string& id : {NewUuid(), std::string("not-a-uuid")}) {
    user::v1::GetContactRequest unknown;
    unknown.set_user_id(id);
    auto ctx = CallAs("notification", "user");
    grpc::Status s = stub->GetContact(ctx.get(), unknown, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << id;
    EXPECT_EQ(ErrorCodeOf(FromGrpcStatus(s)), "user_not_found") << id;
  }
  // Its token opens nothing else: the notification service cannot read a profile.
  user::v1::User me;
  auto as_notification_me = CallAs("notification", "user", shopper.access_token);
  EXPECT_EQ(stub->GetMe(as_notification_me.get(), user::v1::GetMeRequest(), &me).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(me.email(), "");
}

TEST_F(UserApiTest, NoPasswordHashOrTokenInAnyLogLine) {
  // One more full round, so this test stands on its own.
  Shopper s = SignedIn("logs");
  ASSERT_EQ(Refresh(s.refresh_token).status, 200);
  EXPECT_EQ(Login(s.email, "a wrong password for the log test").status, 401);
  ASSERT_GE(secrets_->size(), 5u);

  const std::string gateway_log = suite_->process("gateway").ReadLog();
  const std::string user_log = suite_->process("user").ReadLog();
  // The logs are the ones we think: the access log and the user service's own lines.
  ASSERT_NE(gateway_log.find("POST /api/v1/sessions 200"), std::string::npos);
  ASSERT_NE(user_log.find("signed in"), std::string::npos);
  ASSERT_NE(user_log.find("presented again"), std::string::npos);
  for (const auto& [name, log] : {std::pair{"gateway", gateway_log}, std::pair{"user", user_log}}) {
    EXPECT_EQ(log.find("$argon2id$"), std::string::npos) << name;
    for (const std::string& secret : *secrets_) {
      EXPECT_EQ(log.find(secret), std::string::npos) << name << " log contains a secret";
    }
  }
}

}  // namespace
}  // namespace mercato::testing
