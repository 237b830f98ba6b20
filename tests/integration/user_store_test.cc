// PostgresUserStore (and the user service on top of it) against a real PostgreSQL: the
// case-insensitive unique email, refresh-token rotation and reuse detection under
// concurrency, the login throttle counted exactly across concurrent callers, address
// ownership and the address-book bound under concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "db/migrations.h"
#include "support/concurrency.h"
#include "support/identity.h"
#include "support/migrated_database.h"
#include "support/postgres.h"
#include "user/access_token.h"
#include "user/credentials.h"
#include "user/postgres_user_store.h"
#include "user/user_service.h"

namespace mercato::user {
const std::vector<EmbeddedFile>& Migrations();

namespace {

using mercato::testing::MigratedDatabase;
using mercato::testing::PostgresServer;
using mercato::testing::RunConcurrently;
using std::chrono::seconds;

constexpr char kDatabase[] = "user_store_test";
constexpr int kPoolSize = 16;
const TimePoint kT0 = TimePoint(seconds(1'800'000'000));

class UserStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = MigratedDatabase(kDatabase, {.size = kPoolSize}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_EQ(db->applied, 2);
    pool_ = db->pool.release();
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
  }

  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }

  UserRecord NewUser(const std::string& email, const std::string& role = kRoleCustomer) {
    UserRecord u{.id = NewUuid(),
                 .email = email,
                 .name = "Test User",
                 .role = role,
                 .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                 .created_at = kT0};
    EXPECT_TRUE(store_.CreateUser(u).ok());
    return u;
  }
  // A unique email per test, so tests do not see each other's rows.
  std::string Email(const std::string& who) {
    return absl::StrCat(who, "-", RandomHex(4), "@example.com");
  }
  RefreshTokenRecord Token(const std::string& user_id, const std::string& family_id,
                           TimePoint at = kT0) {
    return RefreshTokenRecord{.id = NewUuid(),
                              .family_id = family_id,
                              .user_id = user_id,
                              .token_hash = RefreshTokenHash(NewRefreshToken()),
                              .created_at = at,
                              .expires_at = at + seconds(30 * 24 * 3600)};
  }
  common::v1::Address Address(const std::string& name) {
    common::v1::Address a;
    a.set_id(NewUuid());
    a.set_name(name);
    a.set_line1("1 Main Street");
    a.set_city("Berlin");
    a.set_postal_code("10115");
    a.set_country("DE");
    return a;
  }

  static PgPool* pool_;
  PostgresUserStore store_{*pool_};
};

PgPool* UserStoreTest::pool_ = nullptr;

TEST_F(UserStoreTest, MigrationsAreAppliedOnce) {
  auto again = ApplyMigrations(*pool_, Migrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
}

TEST_F(UserStoreTest, EmailIsUniqueWhateverTheCase) {
  const std::string email = Email("ann");
  UserRecord ann = NewUser(email);
  UserRecord clash = ann;
  clash.id = NewUuid();
  clash.email = absl::AsciiStrToUpper(email);
  absl::Status s = store_.CreateUser(clash);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorCodeOf(s), "email_taken");

  auto found = store_.FindUserByEmail(absl::AsciiStrToUpper(email));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, ann.id);
  EXPECT_EQ((*found)->email, email);
  EXPECT_EQ((*found)->created_at, kT0);
  EXPECT_EQ((*found)->role, "customer");
  EXPECT_FALSE(store_.FindUserByEmail(Email("nobody"))->has_value());
}

// Issue 15, defect 5: the service lower-cased ASCII only and the look-up used the locale's
// lower(), so other spellings reached an account under another throttle key. Now one key,
// the database's email_key(), decides uniqueness and look-ups, whatever the server's locale.
TEST_F(UserStoreTest, OneUnicodeEmailKeyForUniquenessAndLookUps) {
  const std::string local = absl::StrCat("kiki-", RandomHex(4));
  const std::string email = local + "@example.com";
  UserRecord kiki = NewUser(email);
  const std::string kelvin = "\u212A" + local.substr(1) + "@example.com";      // Kelvin sign
  const std::string full_width = "\uFF2B" + local.substr(1) + "@example.com";  // full-width K
  const std::string dotted = "k\u0130" + local.substr(2) + "@example.com";     // capital I, dot
  for (const std::string& spelling : {email, absl::AsciiStrToUpper(email), kelvin, full_width}) {
    SCOPED_TRACE(spelling);
    auto found = store_.LookUpEmail(spelling);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->email_key, email);
    ASSERT_TRUE(found->user.has_value());
    EXPECT_EQ(found->user->id, kiki.id);
    EXPECT_EQ(found->user->email, email);
    UserRecord clash = kiki;
    clash.id = NewUuid();
    clash.email = spelling;
    EXPECT_EQ(ErrorCodeOf(store_.CreateUser(clash)), "email_taken");
  }
  // Unicode's lower case of U+0130 is "i" + U+0307 (not "i", as some C libraries have it):
  // another address, with a key of its own, and no account.
  auto other = store_.LookUpEmail(dotted);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->email_key, "ki\u0307" + local.substr(2) + "@example.com");
  EXPECT_FALSE(other->user.has_value());
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE email_key = '" + email + "'"), "1");
  EXPECT_EQ(Sql("SELECT email_key('\u212A\u0130')"), "ki\u0307");
}

TEST_F(UserStoreTest, ConcurrentRegistrationsOfOneEmailCreateOneAccount) {
  const std::string email = Email("race");
  std::atomic<int> created{0}, taken{0};
  RunConcurrently(8, [&](int i) {
    UserRecord u{.id = NewUuid(),
                 .email = i % 2 ? email : absl::AsciiStrToUpper(email),
                 .name = "Racer",
                 .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                 .created_at = kT0};
    absl::Status s = store_.CreateUser(u);
    if (s.ok()) ++created;
    if (s.code() == absl::StatusCode::kAlreadyExists) ++taken;
  });
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(taken.load(), 7);
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE lower(email) = '" + email + "'"), "1");
}

TEST_F(UserStoreTest, TheDatabaseRefusesAnythingButAnArgon2idHash) {
  UserRecord u{.id = NewUuid(),
               .email = Email("plain"),
               .name = "Plain",
               .password_hash = "plain-text-password",
               .created_at = kT0};
  EXPECT_EQ(store_.CreateUser(u).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(UserStoreTest, UsersByIdNameRoleAndPassword) {
  UserRecord ann = NewUser(Email("ann"));
  EXPECT_EQ(store_.GetUser(ann.id)->email, ann.email);
  EXPECT_EQ(store_.GetUser(NewUuid()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.GetUser("not-a-uuid").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.UpdateUserName(ann.id, "Ann B.")->name, "Ann B.");
  EXPECT_EQ(store_.UpdateUserName(NewUuid(), "X").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_.SetUserRole(ann.id, kRoleAdmin).ok());
  EXPECT_EQ(store_.GetUser(ann.id)->role, "admin");
  EXPECT_EQ(store_.SetUserRole(ann.id, "root").code(), absl::StatusCode::kFailedPrecondition);
  const std::string hash = *HashPassword("a brand new password");
  ASSERT_TRUE(store_.UpdatePasswordHash(ann.id, hash).ok());
  EXPECT_EQ(store_.GetUser(ann.id)->password_hash, hash);
}

TEST_F(UserStoreTest, RotationMarksUsedAndReuseRevokesTheWholeFamily) {
  UserRecord ann = NewUser(Email("ann"));
  const std::string family = NewUuid();
  RefreshTokenRecord first = Token(ann.id, family);
  ASSERT_TRUE(store_.InsertRefreshToken(first).ok());
  RefreshTokenRecord other_family = Token(ann.id, NewUuid());
  ASSERT_TRUE(store_.InsertRefreshToken(other_family).ok());

  RefreshTokenRecord second = Token("", "", kT0 + seconds(60));
  auto r = store_.RotateRefreshToken(first.token_hash, second, kT0 + seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, RotateResult::kRotated);
  EXPECT_EQ(r->user_id, ann.id);
  EXPECT_EQ(r->family_id, family);
  EXPECT_EQ(Sql("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = '" +
                second.token_hash + "'"),
            family + "|" + ann.id);

  RefreshTokenRecord third = Token("", "", kT0 + seconds(120));
  EXPECT_EQ(store_.RotateRefreshToken(second.token_hash, third, kT0 + seconds(120))->outcome,
            RotateResult::kRotated);

  // Presenting the first (used) token again revokes all three.
  RefreshTokenRecord unused = Token("", "", kT0 + seconds(180));
  r = store_.RotateRefreshToken(first.token_hash, unused, kT0 + seconds(180));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, RotateResult::kReused);
  EXPECT_EQ(r->family_id, family);
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE family_id = '" + family +
                "' AND revoked_at IS NOT NULL"),
            "3");
  EXPECT_EQ(
      Sql("SELECT count(*) FROM refresh_tokens WHERE token_hash = '" + unused.token_hash + "'"),
      "0");
  EXPECT_EQ(store_.RotateRefreshToken(third.token_hash, Token("", ""), kT0 + seconds(200))->outcome,
            RotateResult::kInvalid);
  // The other session is untouched.
  EXPECT_EQ(store_.RotateRefreshToken(other_family.token_hash, Token("", ""), kT0 + seconds(200))
                ->outcome,
            RotateResult::kRotated);
}

TEST_F(UserStoreTest, UnknownExpiredAndRevokedTokensAreInvalid) {
  UserRecord ann = NewUser(Email("ann"));
  EXPECT_EQ(
      store_.RotateRefreshToken(RefreshTokenHash(NewRefreshToken()), Token("", ""), kT0)->outcome,
      RotateResult::kInvalid);
  RefreshTokenRecord t = Token(ann.id, NewUuid());
  ASSERT_TRUE(store_.InsertRefreshToken(t).ok());
  EXPECT_EQ(store_.RotateRefreshToken(t.token_hash, Token("", ""), t.expires_at)->outcome,
            RotateResult::kInvalid);
  EXPECT_TRUE(*store_.RevokeRefreshFamily(t.token_hash, kT0));
  EXPECT_FALSE(*store_.RevokeRefreshFamily(RefreshTokenHash("nope"), kT0));
  EXPECT_EQ(store_.RotateRefreshToken(t.token_hash, Token("", ""), kT0)->outcome,
            RotateResult::kInvalid);
}

TEST_F(UserStoreTest, ConcurrentRefreshesOfOneTokenRotateOnceAndRevokeTheFamily) {
  UserRecord ann = NewUser(Email("ann"));
  const std::string family = NewUuid();
  RefreshTokenRecord t = Token(ann.id, family);
  ASSERT_TRUE(store_.InsertRefreshToken(t).ok());
  std::atomic<int> rotated{0}, reused{0}, invalid{0}, errors{0};
  RunConcurrently(10, [&](int) {
    auto r = store_.RotateRefreshToken(t.token_hash, Token("", ""), kT0 + seconds(1));
    if (!r.ok()) {
      ++errors;
    } else if (r->outcome == RotateResult::kRotated) {
      ++rotated;
    } else if (r->outcome == RotateResult::kReused) {
      ++reused;
    } else {
      ++invalid;
    }
  });
  // The first wins; the next one is a reuse and revokes the family, so every one after that
  // finds a revoked token. No second rotation can slip through.
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(reused.load(), 1);
  EXPECT_EQ(invalid.load(), 8);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE family_id = '" + family +
                "' AND revoked_at IS NULL"),
            "0");
}

TEST_F(UserStoreTest, DeletesExpiredTokens) {
  UserRecord ann = NewUser(Email("ann"));
  RefreshTokenRecord old = Token(ann.id, NewUuid(), kT0 - seconds(31 * 24 * 3600));
  RefreshTokenRecord fresh = Token(ann.id, NewUuid());
  ASSERT_TRUE(store_.InsertRefreshToken(old).ok());
  ASSERT_TRUE(store_.InsertRefreshToken(fresh).ok());
  auto deleted = store_.DeleteExpiredRefreshTokens(kT0);
  ASSERT_TRUE(deleted.ok());
  EXPECT_GE(*deleted, 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE token_hash IN ('" + old.token_hash +
                "', '" + fresh.token_hash + "')"),
            "1");
}

TEST_F(UserStoreTest, ThrottleCountsLocksAndForgets) {
  const std::string key = "client:" + RandomHex(8);
  const ThrottlePolicy& p = kClientThrottle;
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(*store_.RecordLoginFailure(key, kT0, p), i);
  EXPECT_FALSE(store_.LockedUntil({key}, kT0)->has_value());
  EXPECT_EQ(*store_.RecordLoginFailure(key, kT0, p), 5);
  EXPECT_EQ(*store_.LockedUntil({key}, kT0), kT0 + seconds(1));
  EXPECT_FALSE(store_.LockedUntil({key}, kT0 + seconds(1))->has_value());
  EXPECT_EQ(*store_.RecordLoginFailure(key, kT0 + seconds(1), p), 6);
  EXPECT_EQ(*store_.LockedUntil({key, "client:unrelated"}, kT0 + seconds(1)), kT0 + seconds(3));
  // A later lock never shortens an earlier, longer one.
  const std::string other = "client:" + RandomHex(8);
  for (int i = 0; i < 10; ++i) (void)store_.RecordLoginFailure(other, kT0, p);
  EXPECT_EQ(*store_.LockedUntil({key, other}, kT0 + seconds(1)), kT0 + seconds(900));
  // 30 days after the last failure the count starts again.
  EXPECT_EQ(*store_.RecordLoginFailure(key, kT0 + seconds(1 + 30 * 24 * 3600 + 1), p), 1);
  ASSERT_TRUE(store_.ClearLoginFailures(key).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM login_throttle WHERE key = '" + key + "'"), "0");
  EXPECT_EQ(*store_.RecordLoginFailure(key, kT0, p), 1);
}

TEST_F(UserStoreTest, ConcurrentFailuresAreCountedExactly) {
  const std::string key = "client:" + RandomHex(8);
  RunConcurrently(kPoolSize, [&](int) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(store_.RecordLoginFailure(key, kT0, kClientThrottle).ok());
    }
  });
  EXPECT_EQ(Sql("SELECT failures FROM login_throttle WHERE key = '" + key + "'"),
            std::to_string(kPoolSize * 5));
  EXPECT_EQ(*store_.LockedUntil({key}, kT0), kT0 + seconds(24 * 3600));
}

TEST_F(UserStoreTest, PrunesStaleCountsButKeepsLocks) {
  const std::string stale = "client:" + RandomHex(8);
  const std::string locked = "client:" + RandomHex(8);
  (void)store_.RecordLoginFailure(stale, kT0 - seconds(7200), kClientThrottle);
  for (int i = 0; i < 10; ++i) {
    (void)store_.RecordLoginFailure(locked, kT0 - seconds(3700), kClientThrottle);
  }
  ASSERT_TRUE(store_.PruneLoginFailures(kT0 - seconds(3600)).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM login_throttle WHERE key = '" + stale + "'"), "0");
  // Locked until kT0 - 2800 s, which is after the cut-off: kept.
  EXPECT_EQ(Sql("SELECT count(*) FROM login_throttle WHERE key = '" + locked + "'"), "1");
}

TEST_F(UserStoreTest, AddressesAreOwnedByOneUser) {
  UserRecord ann = NewUser(Email("ann"));
  UserRecord bob = NewUser(Email("bob"));
  common::v1::Address home = Address("Ann Smith");
  home.set_line2("Flat 3");
  home.set_region("Berlin");
  ASSERT_TRUE(store_.CreateAddress(ann.id, home, 20).ok());
  auto got = store_.GetAddress(ann.id, home.id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), home.SerializeAsString());

  EXPECT_EQ(store_.GetAddress(bob.id, home.id()).status().code(), absl::StatusCode::kNotFound);
  common::v1::Address hijack = Address("Bob");
  hijack.set_id(home.id());
  EXPECT_EQ(store_.UpdateAddress(bob.id, hijack).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.DeleteAddress(bob.id, home.id()).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_.ListAddresses(bob.id)->empty());
  EXPECT_EQ(store_.GetAddress(ann.id, home.id())->name(), "Ann Smith");

  common::v1::Address work = Address("Ann at work");
  ASSERT_TRUE(store_.CreateAddress(ann.id, work, 20).ok());
  auto list = store_.ListAddresses(ann.id);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id(), home.id());
  EXPECT_EQ((*list)[1].id(), work.id());

  hijack.set_name("Ann Moved");
  ASSERT_TRUE(store_.UpdateAddress(ann.id, hijack).ok());
  EXPECT_EQ(store_.GetAddress(ann.id, home.id())->name(), "Ann Moved");
  EXPECT_EQ(store_.GetAddress(ann.id, home.id())->line2(), "");
  ASSERT_TRUE(store_.DeleteAddress(ann.id, home.id()).ok());
  EXPECT_EQ(store_.DeleteAddress(ann.id, home.id()).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.GetAddress(ann.id, "not-a-uuid").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UserStoreTest, AddressBookBoundHoldsUnderConcurrency) {
  UserRecord ann = NewUser(Email("ann"));
  std::atomic<int> created{0}, refused{0};
  RunConcurrently(12, [&](int i) {
    absl::Status s = store_.CreateAddress(ann.id, Address(absl::StrCat("A", i)), 5);
    if (s.ok()) ++created;
    if (ErrorCodeOf(s) == "too_many_addresses") ++refused;
  });
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(store_.ListAddresses(ann.id)->size(), 5u);
}

TEST_F(UserStoreTest, ServiceOnTheRealStoreEnsuresOneAdminAcrossReplicas) {
  AccessTokenIssuer issuer(testing::TestKey(testing::kAccessTokenKeyName), seconds(900));
  BoundedExecutor executor("user-test", 1, 1);
  UserService a(store_, issuer, executor), b(store_, issuer, executor);
  const std::string email = Email("admin");
  std::atomic<int> ok{0};
  RunConcurrently(2, [&](int i) {
    if ((i == 0 ? a : b).EnsureAdmin(email, "mercato-admin").ok()) ++ok;
  });
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(Sql("SELECT role || '|' || substr(password_hash, 1, 10) FROM users WHERE email = '" +
                email + "'"),
            "admin|$argon2id$");

  v1::LoginRequest login;
  login.set_email(email);
  login.set_password("mercato-admin");
  login.set_client_address("192.0.2.1");
  v1::Session session;
  ASSERT_TRUE(a.DoLogin(login, &session).ok());
  EXPECT_EQ(session.user().role(), v1::ROLE_ADMIN);
  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(session.refresh_token());
  v1::Session next;
  ASSERT_TRUE(b.DoRefreshSession(refresh, &next).ok());
  EXPECT_EQ(b.DoRefreshSession(refresh, &next).code(), absl::StatusCode::kUnauthenticated);
  // Only the hash of a refresh token is ever stored.
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE token_hash = '" +
                session.refresh_token() + "' OR token_hash = '" + next.refresh_token() + "'"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM refresh_tokens WHERE token_hash = '" +
                RefreshTokenHash(session.refresh_token()) + "'"),
            "1");
}

}  // namespace
}  // namespace mercato::user
