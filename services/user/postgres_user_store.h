// UserStore on PostgreSQL (schema in migrations/).
#pragma once

#include "db/pg_pool.h"
#include "user/user_store.h"

namespace mercato::user {

class PostgresUserStore final : public UserStore {
 public:
  explicit PostgresUserStore(PgPool& pool) : pool_(pool) {}

  absl::Status CreateUser(const UserRecord& user) override;
  absl::StatusOr<EmailLookup> LookUpEmail(const std::string& email) override;
  absl::StatusOr<std::optional<UserRecord>> FindUserByEmail(const std::string& email) override;
  absl::StatusOr<UserRecord> GetUser(const std::string& id) override;
  absl::StatusOr<UserRecord> UpdateUserName(const std::string& id,
                                            const std::string& name) override;
  absl::Status UpdatePasswordHash(const std::string& id, const std::string& hash) override;
  absl::Status SetUserRole(const std::string& id, const std::string& role) override;

  absl::Status InsertRefreshToken(const RefreshTokenRecord& token) override;
  absl::StatusOr<RotateResult> RotateRefreshToken(const std::string& token_hash,
                                                  RefreshTokenRecord next, TimePoint now) override;
  absl::StatusOr<bool> RevokeRefreshFamily(const std::string& token_hash, TimePoint now) override;
  absl::StatusOr<int> DeleteExpiredRefreshTokens(TimePoint before) override;

  absl::StatusOr<std::optional<TimePoint>> LockedUntil(const std::vector<std::string>& keys,
                                                       TimePoint now) override;
  absl::StatusOr<int> RecordLoginFailure(const std::string& key, TimePoint now,
                                         const ThrottlePolicy& policy) override;
  absl::Status ClearLoginFailures(const std::string& key) override;
  absl::StatusOr<int> PruneLoginFailures(TimePoint before) override;

  absl::StatusOr<std::vector<common::v1::Address>> ListAddresses(
      const std::string& user_id) override;
  absl::Status CreateAddress(const std::string& user_id, const common::v1::Address& address,
                             int max_addresses) override;
  absl::StatusOr<common::v1::Address> GetAddress(const std::string& user_id,
                                                 const std::string& id) override;
  absl::Status UpdateAddress(const std::string& user_id,
                             const common::v1::Address& address) override;
  absl::Status DeleteAddress(const std::string& user_id, const std::string& id) override;

 private:
  PgPool& pool_;
};

}  // namespace mercato::user
