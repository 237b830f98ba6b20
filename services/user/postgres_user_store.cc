#include "user/postgres_user_store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"

namespace mercato::user {
namespace {

// Times travel as milliseconds since the epoch: libpqxx 6.4 has no timestamp conversion.
int64_t Millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr char kUserColumns[] =
    "id::text, email, name, role, password_hash, "
    "(extract(epoch FROM created_at) * 1000)::bigint";

UserRecord UserFromRow(const pqxx::row& row) {
  UserRecord u;
  u.id = row[0].as<std::string>();
  u.email = row[1].as<std::string>();
  u.name = row[2].as<std::string>();
  u.role = row[3].as<std::string>();
  u.password_hash = row[4].as<std::string>();
  u.created_at = FromMillis(row[5].as<int64_t>());
  return u;
}

constexpr char kAddressColumns[] =
    "id::text, name, line1, line2, city, region, postal_code, country";

common::v1::Address AddressFromRow(const pqxx::row& row) {
  common::v1::Address a;
  a.set_id(row[0].as<std::string>());
  a.set_name(row[1].as<std::string>());
  a.set_line1(row[2].as<std::string>());
  a.set_line2(row[3].as<std::string>());
  a.set_city(row[4].as<std::string>());
  a.set_region(row[5].as<std::string>());
  a.set_postal_code(row[6].as<std::string>());
  a.set_country(row[7].as<std::string>());
  return a;
}

absl::Status UserNotFound() { return absl::NotFoundError("no such user"); }
absl::Status StoredAddressNotFound() {
  return ErrorWithCode(absl::StatusCode::kNotFound, "address_not_found", "no such address");
}

}  // namespace

absl::Status PostgresUserStore::CreateUser(const UserRecord& u) {
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) "
        "VALUES ($1::uuid, $2, $3, $4, $5, to_timestamp($6::bigint / 1000.0), "
        "to_timestamp($6::bigint / 1000.0))",
        u.id, u.email, u.name, u.role, u.password_hash, Millis(u.created_at));
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return ErrorWithCode(absl::StatusCode::kAlreadyExists, "email_taken",
                         "an account with this email already exists");
  }
  return status;
}

absl::StatusOr<EmailLookup> PostgresUserStore::LookUpEmail(const std::string& email) {
  EmailLookup found;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        // One row whether or not an account has the key: the key itself comes from the
        // database's email_key(), the one definition of it.
        auto rows =
            tx.exec_params(absl::StrCat("SELECT ", kUserColumns,
                                        ", k.wanted FROM (SELECT email_key($1) AS wanted) AS k "
                                        "LEFT JOIN users ON users.email_key = k.wanted"),
                           email);
        found.email_key = rows[0][6].as<std::string>();
        found.user.reset();
        if (!rows[0][0].is_null()) found.user = UserFromRow(rows[0]);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::optional<UserRecord>> PostgresUserStore::FindUserByEmail(
    const std::string& email) {
  auto found = LookUpEmail(email);
  if (!found.ok()) return found.status();
  return std::move(found->user);
}

absl::StatusOr<UserRecord> PostgresUserStore::GetUser(const std::string& id) {
  if (!IsUuid(id)) return UserNotFound();
  std::optional<UserRecord> user;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto rows = tx.exec_params(
            absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE id = $1::uuid"), id);
        if (!rows.empty()) user = UserFromRow(rows[0]);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!user) return UserNotFound();
  return *std::move(user);
}

absl::StatusOr<UserRecord> PostgresUserStore::UpdateUserName(const std::string& id,
                                                             const std::string& name) {
  if (!IsUuid(id)) return UserNotFound();
  std::optional<UserRecord> user;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(
        absl::StrCat("UPDATE users SET name = $2, updated_at = now() WHERE id = $1::uuid "
                     "RETURNING ",
                     kUserColumns),
        id, name);
    if (!rows.empty()) user = UserFromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!user) return UserNotFound();
  return *std::move(user);
}

absl::Status PostgresUserStore::UpdatePasswordHash(const std::string& id, const std::string& hash) {
  if (!IsUuid(id)) return UserNotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1::uuid", id, hash);
    return r.affected_rows() == 0 ? UserNotFound() : absl::OkStatus();
  });
}

absl::Status PostgresUserStore::SetUserRole(const std::string& id, const std::string& role) {
  if (!IsUuid(id)) return UserNotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params("UPDATE users SET role = $2, updated_at = now() WHERE id = $1::uuid",
                            id, role);
    return r.affected_rows() == 0 ? UserNotFound() : absl::OkStatus();
  });
}

absl::Status PostgresUserStore::InsertRefreshToken(const RefreshTokenRecord& t) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, "
        "expires_at) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, "
        "to_timestamp($5::bigint / 1000.0), to_timestamp($6::bigint / 1000.0))",
        t.id, t.family_id, t.user_id, t.token_hash, Millis(t.created_at), Millis(t.expires_at));
    return absl::OkStatus();
  });
}

absl::StatusOr<RotateResult> PostgresUserStore::RotateRefreshToken(const std::string& token_hash,
                                                                   RefreshTokenRecord next,
                                                                   TimePoint now) {
  RotateResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = RotateResult{};
    // FOR UPDATE: two refreshes with one token serialise here; the second sees it used.
    auto rows = tx.exec_params(
        "SELECT family_id::text, user_id::text, used_at IS NOT NULL, revoked_at IS NOT NULL, "
        "expires_at <= to_timestamp($2::bigint / 1000.0) "
        "FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        token_hash, Millis(now));
    if (rows.empty()) return absl::OkStatus();
    const auto& row = rows[0];
    const bool used = row[2].as<bool>(), revoked = row[3].as<bool>(), expired = row[4].as<bool>();
    if (revoked || expired) return absl::OkStatus();
    result.family_id = row[0].as<std::string>();
    result.user_id = row[1].as<std::string>();
    if (used) {
      tx.exec_params(
          "UPDATE refresh_tokens SET revoked_at = to_timestamp($2::bigint / 1000.0) "
          "WHERE family_id = $1::uuid AND revoked_at IS NULL",
          result.family_id, Millis(now));
      result.outcome = RotateResult::kReused;
      return absl::OkStatus();
    }
    tx.exec_params(
        "UPDATE refresh_tokens SET used_at = to_timestamp($2::bigint / 1000.0) "
        "WHERE token_hash = $1",
        token_hash, Millis(now));
    tx.exec_params(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, "
        "expires_at) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, "
        "to_timestamp($5::bigint / 1000.0), to_timestamp($6::bigint / 1000.0))",
        next.id, result.family_id, result.user_id, next.token_hash, Millis(next.created_at),
        Millis(next.expires_at));
    result.outcome = RotateResult::kRotated;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<bool> PostgresUserStore::RevokeRefreshFamily(const std::string& token_hash,
                                                            TimePoint now) {
  bool found = false;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params("SELECT family_id::text FROM refresh_tokens WHERE token_hash = $1",
                               token_hash);
    found = !rows.empty();
    if (!found) return absl::OkStatus();
    tx.exec_params(
        "UPDATE refresh_tokens SET revoked_at = to_timestamp($2::bigint / 1000.0) "
        "WHERE family_id = $1::uuid AND revoked_at IS NULL",
        rows[0][0].as<std::string>(), Millis(now));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<int> PostgresUserStore::DeleteExpiredRefreshTokens(TimePoint before) {
  int deleted = 0;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params(
        "DELETE FROM refresh_tokens WHERE expires_at < to_timestamp($1::bigint / 1000.0)",
        Millis(before));
    deleted = static_cast<int>(r.affected_rows());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

absl::StatusOr<std::optional<TimePoint>> PostgresUserStore::LockedUntil(
    const std::vector<std::string>& keys, TimePoint now) {
  std::optional<TimePoint> until;
  if (keys.empty()) return until;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto rows = tx.exec_params(
            "SELECT (extract(epoch FROM max(locked_until)) * 1000)::bigint FROM login_throttle "
            "WHERE key IN (SELECT jsonb_array_elements_text($1::jsonb)) "
            "AND locked_until > to_timestamp($2::bigint / 1000.0)",
            nlohmann::json(keys).dump(), Millis(now));
        if (!rows.empty() && !rows[0][0].is_null()) until = FromMillis(rows[0][0].as<int64_t>());
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return until;
}

absl::StatusOr<int> PostgresUserStore::RecordLoginFailure(const std::string& key, TimePoint now,
                                                          const ThrottlePolicy& policy) {
  int failures = 0;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    // The upsert holds the row lock until commit, so concurrent failures on every replica
    // count one by one.
    auto rows = tx.exec_params(
        "INSERT INTO login_throttle AS t (key, failures, last_failure_at) "
        "VALUES ($1, 1, to_timestamp($2::bigint / 1000.0)) "
        "ON CONFLICT (key) DO UPDATE SET "
        "  failures = CASE WHEN t.last_failure_at < EXCLUDED.last_failure_at - "
        "                       make_interval(secs => $3::bigint) THEN 1 "
        "                  ELSE least(t.failures + 1, 1000000) END, "
        "  last_failure_at = greatest(t.last_failure_at, EXCLUDED.last_failure_at) "
        "RETURNING failures",
        key, Millis(now), static_cast<int64_t>(policy.window.count()));
    failures = rows[0][0].as<int>();
    const auto lock = LockoutAfter(policy, failures);
    if (lock.count() > 0) {
      tx.exec_params(
          "UPDATE login_throttle SET locked_until = greatest(locked_until, "
          "to_timestamp($2::bigint / 1000.0)) WHERE key = $1",
          key, Millis(now + lock));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return failures;
}

absl::Status PostgresUserStore::ClearLoginFailures(const std::string& key) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params("DELETE FROM login_throttle WHERE key = $1", key);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PostgresUserStore::PruneLoginFailures(TimePoint before) {
  int deleted = 0;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params(
        "DELETE FROM login_throttle WHERE last_failure_at < to_timestamp($1::bigint / 1000.0) "
        "AND (locked_until IS NULL OR locked_until < to_timestamp($1::bigint / 1000.0))",
        Millis(before));
    deleted = static_cast<int>(r.affected_rows());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

absl::StatusOr<std::vector<common::v1::Address>> PostgresUserStore::ListAddresses(
    const std::string& user_id) {
  std::vector<common::v1::Address> addresses;
  if (!IsUuid(user_id)) return addresses;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        for (const auto& row : tx.exec_params(
                 absl::StrCat("SELECT ", kAddressColumns,
                              " FROM addresses WHERE user_id = $1::uuid ORDER BY created_at, id"),
                 user_id)) {
          addresses.push_back(AddressFromRow(row));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return addresses;
}

absl::Status PostgresUserStore::CreateAddress(const std::string& user_id,
                                              const common::v1::Address& a, int max_addresses) {
  if (!IsUuid(user_id)) return UserNotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    // Locking the owner serialises concurrent creates, so the limit holds exactly.
    if (tx.exec_params("SELECT 1 FROM users WHERE id = $1::uuid FOR UPDATE", user_id).empty()) {
      return UserNotFound();
    }
    const int count =
        tx.exec_params("SELECT count(*) FROM addresses WHERE user_id = $1::uuid", user_id)[0][0]
            .as<int>();
    if (count >= max_addresses) {
      return ErrorWithCode(
          absl::StatusCode::kFailedPrecondition, "too_many_addresses",
          absl::StrCat("an address book holds at most ", max_addresses, " addresses"));
    }
    tx.exec_params(
        "INSERT INTO addresses (id, user_id, name, line1, line2, city, region, postal_code, "
        "country) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9)",
        a.id(), user_id, a.name(), a.line1(), a.line2(), a.city(), a.region(), a.postal_code(),
        a.country());
    return absl::OkStatus();
  });
}

absl::StatusOr<common::v1::Address> PostgresUserStore::GetAddress(const std::string& user_id,
                                                                  const std::string& id) {
  if (!IsUuid(user_id) || !IsUuid(id)) return StoredAddressNotFound();
  std::optional<common::v1::Address> address;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        auto rows = tx.exec_params(
            absl::StrCat("SELECT ", kAddressColumns,
                         " FROM addresses WHERE id = $1::uuid AND user_id = $2::uuid"),
            id, user_id);
        if (!rows.empty()) address = AddressFromRow(rows[0]);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!address) return StoredAddressNotFound();
  return *std::move(address);
}

absl::Status PostgresUserStore::UpdateAddress(const std::string& user_id,
                                              const common::v1::Address& a) {
  if (!IsUuid(user_id) || !IsUuid(a.id())) return StoredAddressNotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params(
        "UPDATE addresses SET name = $3, line1 = $4, line2 = $5, city = $6, region = $7, "
        "postal_code = $8, country = $9, updated_at = now() "
        "WHERE id = $1::uuid AND user_id = $2::uuid",
        a.id(), user_id, a.name(), a.line1(), a.line2(), a.city(), a.region(), a.postal_code(),
        a.country());
    return r.affected_rows() == 0 ? StoredAddressNotFound() : absl::OkStatus();
  });
}

absl::Status PostgresUserStore::DeleteAddress(const std::string& user_id, const std::string& id) {
  if (!IsUuid(user_id) || !IsUuid(id)) return StoredAddressNotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params("DELETE FROM addresses WHERE id = $1::uuid AND user_id = $2::uuid", id,
                            user_id);
    return r.affected_rows() == 0 ? StoredAddressNotFound() : absl::OkStatus();
  });
}

}  // namespace mercato::user
