// UserService logic over the in-memory store and a test clock: registration, sign-in and
// brute-force limits, refresh rotation and reuse detection, logout, profile, address
// ownership and the admin bootstrap. No gRPC, no database.
#include "user/user_service.h"

#include <gtest/gtest.h>

#include "auth/access_token.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "support/identity.h"
#include "user/config.h"
#include "user/credentials.h"
#include "user_fake_store.h"

namespace mercato::user {
namespace {

using std::chrono::seconds;

const auth::SigningKey& Key() { return testing::TestKey(testing::kAccessTokenKeyName); }
constexpr char kPassword[] = "correct horse battery staple";

class UserServiceTest : public ::testing::Test {
 protected:
  UserServiceTest()
      : issuer_(Key(), seconds(900)),
        executor_("test", 1, 1),
        service_(store_, issuer_, executor_, {}, [this] { return now_; }) {}

  v1::User Register(const std::string& email, const std::string& password = kPassword) {
    v1::RegisterRequest r;
    r.set_email(email);
    r.set_password(password);
    r.set_name("Ann Smith");
    v1::User user;
    absl::Status s = service_.DoRegister(r, &user);
    EXPECT_TRUE(s.ok()) << s;
    return user;
  }
  absl::StatusOr<v1::Session> Login(const std::string& email, const std::string& password,
                                    const std::string& address = "10.0.0.1") {
    v1::LoginRequest r;
    r.set_email(email);
    r.set_password(password);
    r.set_client_address(address);
    v1::Session session;
    absl::Status s = service_.DoLogin(r, &session);
    if (!s.ok()) return s;
    return session;
  }
  absl::StatusOr<v1::Session> Refresh(const std::string& token) {
    v1::RefreshSessionRequest r;
    r.set_refresh_token(token);
    v1::Session session;
    absl::Status s = service_.DoRefreshSession(r, &session);
    if (!s.ok()) return s;
    return session;
  }
  // Runs `fn` as the signed-in user `user_id`.
  template <typename Fn>
  auto As(const std::string& user_id, Fn fn) {
    ScopedCallContext scope(CallContext{.user_id = user_id, .user_role = "customer"});
    return fn();
  }
  common::v1::Address Address(const std::string& name) {
    common::v1::Address a;
    a.set_name(name);
    a.set_line1("1 Main Street");
    a.set_city("Berlin");
    a.set_postal_code("10115");
    a.set_country("de");
    return a;
  }

  TimePoint now_ = TimePoint(seconds(1'800'000'000));
  FakeUserStore store_;
  AccessTokenIssuer issuer_;
  BoundedExecutor executor_;
  UserService service_;
};

TEST_F(UserServiceTest, RegisterNormalisesAndStoresOnlyAnArgon2idHash) {
  v1::User user = Register("  Ann@Example.COM ");
  EXPECT_TRUE(IsUuid(user.id()));
  EXPECT_EQ(user.email(), "ann@example.com");
  EXPECT_EQ(user.name(), "Ann Smith");
  EXPECT_EQ(user.role(), v1::ROLE_CUSTOMER);
  EXPECT_EQ(user.created_at_unix_ms(), 1'800'000'000'000);
  const UserRecord stored = store_.users().at(user.id());
  EXPECT_EQ(stored.password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(stored.password_hash.find(kPassword), std::string::npos);
  EXPECT_TRUE(VerifyPassword(stored.password_hash, kPassword));
}

TEST_F(UserServiceTest, RegisterRefusesDuplicatesWhateverTheCase) {
  Register("ann@example.com");
  v1::RegisterRequest r;
  r.set_email("ANN@example.com");
  r.set_password("another good password");
  r.set_name("Impostor");
  v1::User user;
  absl::Status s = service_.DoRegister(r, &user);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorCodeOf(s), "email_taken");
  EXPECT_EQ(store_.users().size(), 1u);
}

TEST_F(UserServiceTest, RegisterValidatesEveryField) {
  struct Case {
    const char* email;
    const char* password;
    const char* name;
    const char* code;
  };
  for (const Case& c : {Case{"not-an-email", kPassword, "Ann", "invalid_email"},
                        Case{"ann@example.com", "short", "Ann", "weak_password"},
                        Case{"ann@example.com", "password123", "Ann", "weak_password"},
                        Case{"ann@example.com", kPassword, "  ", "invalid_name"}}) {
    v1::RegisterRequest r;
    r.set_email(c.email);
    r.set_password(c.password);
    r.set_name(c.name);
    v1::User user;
    absl::Status s = service_.DoRegister(r, &user);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.code;
    EXPECT_EQ(ErrorCodeOf(s), c.code);
  }
  EXPECT_TRUE(store_.users().empty());
}

TEST_F(UserServiceTest, LoginIssuesAVerifiableAccessTokenAndAStoredRefreshToken) {
  v1::User user = Register("ann@example.com");
  auto session = Login(" ANN@example.com", kPassword);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->expires_in_seconds(), 900);
  EXPECT_EQ(session->user().id(), user.id());
  auth::AccessTokenVerifier verifier(Key().verifying_key(), seconds(30));
  auto verified = verifier.Verify(session->access_token(), now_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->user_id, user.id());
  EXPECT_EQ(verified->role, "customer");
  EXPECT_TRUE(LooksLikeRefreshToken(session->refresh_token()));
  const auto tokens = store_.tokens();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens.begin()->first, RefreshTokenHash(session->refresh_token()));
  EXPECT_EQ(tokens.begin()->second.record.expires_at, now_ + seconds(30 * 24 * 3600));
}

TEST_F(UserServiceTest, WrongPasswordAndUnknownEmailLookTheSame) {
  Register("ann@example.com");
  auto wrong = Login("ann@example.com", "not the password");
  auto unknown = Login("bob@example.com", kPassword);
  auto malformed = Login("bob", kPassword);
  auto empty = Login("ann@example.com", "");
  for (const auto* r : {&wrong, &unknown, &malformed, &empty}) {
    EXPECT_EQ(r->status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(ErrorCodeOf(r->status()), "invalid_credentials");
    EXPECT_EQ(r->status().message(), "wrong email or password");
  }
}

TEST_F(UserServiceTest, RepeatedFailuresFromOneClientAreSlowedThenRefused) {
  Register("ann@example.com");
  // Failures 1-4: plain 401.
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(Login("ann@example.com", "wrong password " + std::to_string(i)).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  // The 5th failure locks this client for 1 s: even the right password is refused.
  EXPECT_EQ(Login("ann@example.com", "wrong password 5").status().code(),
            absl::StatusCode::kUnauthenticated);
  auto locked = Login("ann@example.com", kPassword);
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeOf(locked.status()), "too_many_attempts");
  EXPECT_EQ(RetryAfterOf(locked.status()), 1);
  // Failures 6-9 double the lock each time.
  int expected_lock = 1;
  for (int failure = 6; failure <= 9; ++failure) {
    now_ += seconds(expected_lock);
    expected_lock *= 2;
    EXPECT_EQ(Login("ann@example.com", "wrong").status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(RetryAfterOf(Login("ann@example.com", kPassword).status()), expected_lock)
        << "after failure " << failure;
  }
  // The 10th failure locks it for 15 minutes, the 11th for 30.
  now_ += seconds(expected_lock);
  EXPECT_EQ(Login("ann@example.com", "wrong").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(RetryAfterOf(Login("ann@example.com", kPassword).status()), 900);
  now_ += seconds(900);
  EXPECT_EQ(Login("ann@example.com", "wrong").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(RetryAfterOf(Login("ann@example.com", kPassword).status()), 1800);
  now_ += seconds(1799);
  EXPECT_EQ(RetryAfterOf(Login("ann@example.com", kPassword).status()), 1);
  now_ += seconds(1);
  ASSERT_TRUE(Login("ann@example.com", kPassword).ok());
  // Success clears the client's count: the next failure is a first failure again.
  EXPECT_EQ(Login("ann@example.com", "wrong").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Login("ann@example.com", kPassword).ok());
}

// Issue 15, defect 4: ten wrong passwords from anywhere locked the owner out everywhere.
TEST_F(UserServiceTest, AnAttackerLocksOutOnlyHimself) {
  v1::User admin = Register("admin@example.com");
  // Ten failures, each after the lock of the one before has ended.
  auto fail_ten_times = [&](const std::string& address) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(Login("admin@example.com", "guess", address).status().code(),
                absl::StatusCode::kUnauthenticated);
      now_ += seconds(60);
    }
  };
  fail_ten_times("198.51.100.66");
  for (int i = 0; i < 5; ++i) {
    auto refused = Login("admin@example.com", kPassword, "198.51.100.66");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
    now_ += seconds(60);
  }
  auto owner = Login("admin@example.com", kPassword, "203.0.113.5");
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->user().id(), admin.id());
  // Another spelling or an IPv6 address of the attacker's /64 is still the attacker.
  EXPECT_EQ(Login(" ADMIN@example.com", kPassword, "198.51.100.66").status().code(),
            absl::StatusCode::kResourceExhausted);
  fail_ten_times("2001:db8:66::1");
  EXPECT_EQ(Login("admin@example.com", kPassword, "2001:db8:66::ffff").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Login("admin@example.com", kPassword, "2001:db8:67::1").ok());
}

TEST_F(UserServiceTest, LocksAreKeptPerAccountAndClientAndCountsExpireAfterAMonth) {
  Register("ann@example.com");
  Register("bob@example.com");
  for (int i = 0; i < 5; ++i) (void)Login("ann@example.com", "wrong", "10.0.0.1");
  EXPECT_EQ(Login("ann@example.com", kPassword, "10.0.0.1").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Login("ann@example.com", kPassword, "10.0.0.2").ok());
  EXPECT_TRUE(Login("bob@example.com", kPassword, "10.0.0.1").ok());
  // Four failures, then 30 days and a second of quiet: the count starts again.
  for (int i = 0; i < 4; ++i) (void)Login("bob@example.com", "wrong", "10.0.0.3");
  now_ += seconds(30 * 24 * 3600 - 1);
  EXPECT_EQ(Login("bob@example.com", "wrong", "10.0.0.3").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(RetryAfterOf(Login("bob@example.com", kPassword, "10.0.0.3").status()), 1)
      << "the 5th failure within 30 days";
  now_ += seconds(30 * 24 * 3600 + 1);
  EXPECT_EQ(Login("bob@example.com", "wrong", "10.0.0.3").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Login("bob@example.com", kPassword, "10.0.0.3").ok());
}

// Issue 15, defect 3: one address's failures (behind an ingress: everybody's) locked every
// sign-in from it. No address is locked as such any more.
TEST_F(UserServiceTest, ManyEmailsFromOneAddressLockNobodyElse) {
  Register("ann@example.com");
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(
        Login("user" + std::to_string(i) + "@example.com", "guess", "203.0.113.9").status().code(),
        absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(Login("ann@example.com", kPassword, "203.0.113.9").ok());
  EXPECT_TRUE(Login("ann@example.com", kPassword, "198.51.100.1").ok());
}

// Many clients against one account: from its 30th failure on, a client's every failure locks
// that client; a client that has not failed still signs in at once.
TEST_F(UserServiceTest, AnAccountUnderAttackLocksEachClientAtItsFirstFailure) {
  Register("ann@example.com");
  auto address = [](int i) { return "198.51.100." + std::to_string(i); };
  for (int i = 1; i <= 29; ++i) {
    EXPECT_EQ(Login("ann@example.com", "guess", address(i)).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(Login("ann@example.com", kPassword, address(29)).ok()) << "not locked yet";
  // The account's 30th failure: under attack now. Client 1 is at its 2nd failure: 30 min.
  EXPECT_EQ(Login("ann@example.com", "guess", address(1)).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto locked = Login("ann@example.com", kPassword, address(1));
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfterOf(locked.status()), 1800);
  EXPECT_TRUE(Login("ann@example.com", kPassword, address(31)).ok());
  // The owner's typo from a new place costs 15 minutes there, nowhere else.
  EXPECT_EQ(Login("ann@example.com", "typo", address(32)).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(RetryAfterOf(Login("ann@example.com", kPassword, address(32)).status()), 900);
  EXPECT_TRUE(Login("ann@example.com", kPassword, address(31)).ok());
  // A day without failures and the account is not under attack any more.
  now_ += seconds(24 * 3600 + 1);
  EXPECT_EQ(Login("ann@example.com", "typo", address(33)).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Login("ann@example.com", kPassword, address(33)).ok());
}

TEST_F(UserServiceTest, RefreshRotatesAndAReusedTokenRevokesTheFamily) {
  Register("ann@example.com");
  auto first = Login("ann@example.com", kPassword);
  ASSERT_TRUE(first.ok());
  now_ += seconds(60);
  auto second = Refresh(first->refresh_token());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->refresh_token(), first->refresh_token());
  EXPECT_NE(second->access_token(), first->access_token());
  EXPECT_EQ(second->user().email(), "ann@example.com");
  auto third = Refresh(second->refresh_token());
  ASSERT_TRUE(third.ok()) << third.status();

  // The first token was used: presenting it again revokes every token of the family.
  auto reused = Refresh(first->refresh_token());
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeOf(reused.status()), "invalid_refresh_token");
  EXPECT_EQ(Refresh(third->refresh_token()).status().code(), absl::StatusCode::kUnauthenticated);
  for (const auto& [hash, token] : store_.tokens()) EXPECT_TRUE(token.revoked_at) << hash;

  // Another session (family) is unaffected.
  auto other = Login("ann@example.com", kPassword);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(Refresh(other->refresh_token()).ok());
}

TEST_F(UserServiceTest, RefreshTokensExpireAfterThirtyDays) {
  Register("ann@example.com");
  auto session = Login("ann@example.com", kPassword);
  ASSERT_TRUE(session.ok());
  now_ += seconds(30 * 24 * 3600);
  EXPECT_EQ(Refresh(session->refresh_token()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(UserServiceTest, GarbageRefreshTokensAreRefused) {
  for (const char* token : {"", "garbage", "a.b.c"}) {
    EXPECT_EQ(ErrorCodeOf(Refresh(token).status()), "invalid_refresh_token") << token;
  }
  EXPECT_EQ(Refresh(NewRefreshToken()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(UserServiceTest, LogoutRevokesTheSessionAndIsIdempotent) {
  Register("ann@example.com");
  auto session = Login("ann@example.com", kPassword);
  ASSERT_TRUE(session.ok());
  v1::LogoutRequest r;
  r.set_refresh_token(session->refresh_token());
  EXPECT_TRUE(service_.DoLogout(r).ok());
  EXPECT_TRUE(service_.DoLogout(r).ok());
  EXPECT_EQ(Refresh(session->refresh_token()).status().code(), absl::StatusCode::kUnauthenticated);
  r.set_refresh_token("garbage");
  EXPECT_TRUE(service_.DoLogout(r).ok());
}

TEST_F(UserServiceTest, ProfileNeedsASignedInCaller) {
  v1::User me;
  EXPECT_EQ(service_.DoGetMe(&me).code(), absl::StatusCode::kUnauthenticated);
  v1::User ann = Register("ann@example.com");
  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoGetMe(&me); }).ok());
  EXPECT_EQ(me.email(), "ann@example.com");

  v1::UpdateMeRequest update;
  update.set_name("  Ann B. Smith ");
  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoUpdateMe(update, &me); }).ok());
  EXPECT_EQ(me.name(), "Ann B. Smith");
  update.set_name("");
  EXPECT_EQ(ErrorCodeOf(As(ann.id(), [&] { return service_.DoUpdateMe(update, &me); })),
            "invalid_name");
}

TEST_F(UserServiceTest, AddressesBelongToTheirOwner) {
  v1::User ann = Register("ann@example.com");
  v1::User bob = Register("bob@example.com");
  v1::CreateAddressRequest create;
  *create.mutable_address() = Address("Ann Smith");
  create.mutable_address()->set_id("chosen-by-client");
  common::v1::Address created;
  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoCreateAddress(create, &created); }).ok());
  EXPECT_TRUE(IsUuid(created.id()));
  EXPECT_EQ(created.country(), "DE");

  v1::GetAddressRequest get;
  get.set_id(created.id());
  common::v1::Address got;
  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoGetAddress(get, &got); }).ok());
  EXPECT_EQ(got.name(), "Ann Smith");

  // Bob sees nothing of Ann's, and cannot change or delete it.
  absl::Status s = As(bob.id(), [&] { return service_.DoGetAddress(get, &got); });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  v1::UpdateAddressRequest update;
  *update.mutable_address() = Address("Bob");
  update.mutable_address()->set_id(created.id());
  common::v1::Address updated;
  EXPECT_EQ(As(bob.id(), [&] { return service_.DoUpdateAddress(update, &updated); }).code(),
            absl::StatusCode::kNotFound);
  v1::DeleteAddressRequest del;
  del.set_id(created.id());
  EXPECT_EQ(As(bob.id(), [&] { return service_.DoDeleteAddress(del); }).code(),
            absl::StatusCode::kNotFound);
  v1::ListAddressesResponse list;
  ASSERT_TRUE(As(bob.id(), [&] { return service_.DoListAddresses(&list); }).ok());
  EXPECT_EQ(list.addresses_size(), 0);

  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoUpdateAddress(update, &updated); }).ok());
  EXPECT_EQ(updated.name(), "Bob");
  ASSERT_TRUE(As(ann.id(), [&] { return service_.DoDeleteAddress(del); }).ok());
  EXPECT_EQ(As(ann.id(), [&] { return service_.DoDeleteAddress(del); }).code(),
            absl::StatusCode::kNotFound);

  get.set_id("not-a-uuid");
  EXPECT_EQ(As(ann.id(), [&] { return service_.DoGetAddress(get, &got); }).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(service_.DoGetAddress(get, &got).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(UserServiceTest, AddressBookIsBoundedAndValidated) {
  v1::User ann = Register("ann@example.com");
  v1::CreateAddressRequest create;
  common::v1::Address created;
  *create.mutable_address() = Address("Ann");
  create.mutable_address()->set_country("XX");
  EXPECT_EQ(ErrorCodeOf(As(ann.id(), [&] { return service_.DoCreateAddress(create, &created); })),
            "invalid_address");
  create.mutable_address()->set_country("GB");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(As(ann.id(), [&] { return service_.DoCreateAddress(create, &created); }).ok());
  }
  absl::Status s = As(ann.id(), [&] { return service_.DoCreateAddress(create, &created); });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(s), "too_many_addresses");
}

TEST_F(UserServiceTest, EnsureAdminCreatesOnceAndRepairsRoleAndPassword) {
  ASSERT_TRUE(service_.EnsureAdmin("Admin@Mercato.local", "mercato-admin").ok());
  ASSERT_TRUE(service_.EnsureAdmin("admin@mercato.local", "mercato-admin").ok());
  ASSERT_EQ(store_.users().size(), 1u);
  UserRecord admin = store_.users().begin()->second;
  EXPECT_EQ(admin.email, "admin@mercato.local");
  EXPECT_EQ(admin.role, "admin");
  const std::string first_hash = admin.password_hash;
  auto session = Login("admin@mercato.local", "mercato-admin");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->user().role(), v1::ROLE_ADMIN);
  EXPECT_EQ(auth::AccessTokenVerifier(Key().verifying_key(), seconds(30))
                .Verify(session->access_token(), now_)
                ->role,
            "admin");
  EXPECT_EQ(store_.users().begin()->second.password_hash, first_hash) << "not rehashed";

  // A changed password in the environment replaces the stored one.
  ASSERT_TRUE(service_.EnsureAdmin("admin@mercato.local", "a new admin password").ok());
  EXPECT_FALSE(Login("admin@mercato.local", "mercato-admin").ok());
  EXPECT_TRUE(Login("admin@mercato.local", "a new admin password").ok());

  // An existing customer named as admin is promoted.
  v1::User carol = Register("carol@example.com");
  ASSERT_TRUE(service_.EnsureAdmin("carol@example.com", kPassword).ok());
  EXPECT_EQ(store_.users().at(carol.id()).role, "admin");
}

TEST_F(UserServiceTest, EnsureAdminRefusesBadSettingsNamingTheVariable) {
  absl::Status s = service_.EnsureAdmin("admin", "mercato-admin");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("MERCATO_ADMIN_EMAIL", 0), 0u) << s;
  s = service_.EnsureAdmin("admin@mercato.local", "password123");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("MERCATO_ADMIN_PASSWORD", 0), 0u) << s;
  EXPECT_EQ(std::string(s.message()).find("password123"), std::string::npos);
  EXPECT_TRUE(store_.users().empty());
}

TEST_F(UserServiceTest, PruneDeletesExpiredTokensAndStaleCounts) {
  Register("ann@example.com");
  ASSERT_TRUE(Login("ann@example.com", kPassword).ok());
  (void)Login("bob@example.com", "wrong");
  now_ += seconds(30 * 24 * 3600 + 1);
  ASSERT_TRUE(service_.PruneExpired().ok());
  EXPECT_TRUE(store_.tokens().empty());
  EXPECT_TRUE(store_.throttle().empty());
}

TEST_F(UserServiceTest, GetContactIsTheNotificationServicesOnly) {
  v1::User user = Register("  Ann@Example.COM ");
  v1::GetContactRequest request;
  request.set_user_id(user.id());
  v1::Contact contact;
  {
    ScopedCallContext scope(CallContext{.caller = "notification"});
    ASSERT_TRUE(service_.DoGetContact(request, &contact).ok());
  }
  EXPECT_EQ(contact.user_id(), user.id());
  EXPECT_EQ(contact.email(), "ann@example.com");
  EXPECT_EQ(contact.name(), user.name());
  // Anyone else: the gateway (also with the user's own access token), no caller at all.
  for (const CallContext& other :
       {CallContext{.caller = "gateway"},
        CallContext{.caller = "gateway", .user_id = user.id(), .user_role = "customer"},
        CallContext{.caller = "checkout"}, CallContext{}}) {
    ScopedCallContext scope(other);
    v1::Contact refused;
    absl::Status s = service_.DoGetContact(request, &refused);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << other.caller;
    EXPECT_EQ(refused.email(), "");
  }
}

TEST_F(UserServiceTest, GetContactOfAnUnknownUserIsNotFound) {
  ScopedCallContext scope(CallContext{.caller = "notification"});
  for (const std::string& id : {NewUuid(), std::string("not-a-uuid"), std::string()}) {
    v1::GetContactRequest request;
    request.set_user_id(id);
    v1::Contact contact;
    absl::Status s = service_.DoGetContact(request, &contact);
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << id;
    EXPECT_EQ(ErrorCodeOf(s), "user_not_found") << id;
  }
}

}  // namespace
}  // namespace mercato::user
