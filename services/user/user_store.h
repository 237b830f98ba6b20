// Storage behind the user service. PostgresUserStore is the real one; unit tests use an
// in-memory fake of this interface. Times are passed in by the service (its clock), so the
// rules that depend on time are testable without waiting.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mercato/common/v1/common.pb.h"
#include "user/login_throttle.h"

namespace mercato::user {

using TimePoint = std::chrono::system_clock::time_point;

inline constexpr char kRoleCustomer[] = "customer";
inline constexpr char kRoleAdmin[] = "admin";

struct UserRecord {
  std::string id;
  std::string email;  // normalised
  std::string name;
  std::string role = kRoleCustomer;
  std::string password_hash;
  TimePoint created_at;
};

// What LookUpEmail() found for an email address.
struct EmailLookup {
  // The address's normalised form that decides uniqueness and look-ups: the database's
  // email_key() (migrations/002_email_key.sql: NFKC, Unicode lower case, NFKC). Two spellings
  // with the same key are one account ("Kiki@" with a Kelvin sign is "kiki@").
  std::string email_key;
  std::optional<UserRecord> user;  // the account with that key, if any
};

// One refresh token as stored: only its hash.
struct RefreshTokenRecord {
  std::string id;
  std::string family_id;
  std::string user_id;
  std::string token_hash;
  TimePoint created_at;
  TimePoint expires_at;
};

struct RotateResult {
  enum Outcome {
    kRotated,  // the token was current: it is now used and `next` is stored
    kReused,   // the token had been used already: its whole family is now revoked
    kInvalid,  // unknown, expired or revoked: nothing changed
  } outcome = kInvalid;
  // For kRotated and kReused.
  std::string user_id;
  std::string family_id;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // ALREADY_EXISTS "email_taken" when an account has the same email key (EmailLookup).
  virtual absl::Status CreateUser(const UserRecord& user) = 0;
  // The email's key and the account that has it.
  virtual absl::StatusOr<EmailLookup> LookUpEmail(const std::string& email) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> FindUserByEmail(const std::string& email) = 0;
  // NOT_FOUND for an unknown id (or one that is not a UUID).
  virtual absl::StatusOr<UserRecord> GetUser(const std::string& id) = 0;
  virtual absl::StatusOr<UserRecord> UpdateUserName(const std::string& id,
                                                    const std::string& name) = 0;
  virtual absl::Status UpdatePasswordHash(const std::string& id, const std::string& hash) = 0;
  virtual absl::Status SetUserRole(const std::string& id, const std::string& role) = 0;

  // Sessions. A login stores the first token of a new family.
  virtual absl::Status InsertRefreshToken(const RefreshTokenRecord& token) = 0;
  // Atomically: finds the token with `token_hash`; if it is current (not used, revoked or
  // expired at `now`) marks it used and stores `next` in the same family for the same user
  // (next.family_id / user_id are filled in here); if it was used before, revokes every
  // token of its family.
  virtual absl::StatusOr<RotateResult> RotateRefreshToken(const std::string& token_hash,
                                                          RefreshTokenRecord next,
                                                          TimePoint now) = 0;
  // Revokes every token of the family of the token with `token_hash`. False when no such
  // token exists.
  virtual absl::StatusOr<bool> RevokeRefreshFamily(const std::string& token_hash,
                                                   TimePoint now) = 0;
  // Deletes tokens that expired before `before`. Returns how many.
  virtual absl::StatusOr<int> DeleteExpiredRefreshTokens(TimePoint before) = 0;

  // Login throttle (login_throttle.h). The latest lock among `keys` that is still in force
  // at `now`, if any.
  virtual absl::StatusOr<std::optional<TimePoint>> LockedUntil(const std::vector<std::string>& keys,
                                                               TimePoint now) = 0;
  // Counts one more failure for `key` (starting again from 1 when the last failure is older
  // than policy.window) and locks the key for LockoutAfter(policy, count). Returns the count.
  virtual absl::StatusOr<int> RecordLoginFailure(const std::string& key, TimePoint now,
                                                 const ThrottlePolicy& policy) = 0;
  virtual absl::Status ClearLoginFailures(const std::string& key) = 0;
  // Deletes counts whose last failure is older than `before` and that are not locked then.
  virtual absl::StatusOr<int> PruneLoginFailures(TimePoint before) = 0;

  // Address book. Every call names the owner: another user's address is NOT_FOUND.
  virtual absl::StatusOr<std::vector<common::v1::Address>> ListAddresses(
      const std::string& user_id) = 0;
  // `address.id` is set by the caller. FAILED_PRECONDITION "too_many_addresses" when the
  // user already has `max_addresses`.
  virtual absl::Status CreateAddress(const std::string& user_id, const common::v1::Address& address,
                                     int max_addresses) = 0;
  virtual absl::StatusOr<common::v1::Address> GetAddress(const std::string& user_id,
                                                         const std::string& id) = 0;
  // Replaces the address named by `address.id`.
  virtual absl::Status UpdateAddress(const std::string& user_id,
                                     const common::v1::Address& address) = 0;
  virtual absl::Status DeleteAddress(const std::string& user_id, const std::string& id) = 0;
};

using UserStorePtr = std::unique_ptr<UserStore>;

}  // namespace mercato::user
