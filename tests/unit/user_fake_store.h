// An in-memory UserStore for unit tests of the user service: the same contract as
// PostgresUserStore (user_store.h), under one mutex.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "user/user_store.h"

namespace mercato::user {

class FakeUserStore final : public UserStore {
 public:
  struct Token {
    RefreshTokenRecord record;
    std::optional<TimePoint> used_at, revoked_at;
  };
  struct Throttle {
    int failures = 0;
    TimePoint last_failure_at;
    std::optional<TimePoint> locked_until;
  };

  // The database's email_key() folds Unicode; ASCII case is enough for the unit tests.
  static std::string EmailKey(const std::string& email) { return absl::AsciiStrToLower(email); }

  absl::Status CreateUser(const UserRecord& user) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, u] : users_) {
      if (EmailKey(u.email) == EmailKey(user.email)) {
        return ErrorWithCode(absl::StatusCode::kAlreadyExists, "email_taken",
                             "an account with this email already exists");
      }
    }
    users_[user.id] = user;
    return absl::OkStatus();
  }
  absl::StatusOr<EmailLookup> LookUpEmail(const std::string& email) override {
    std::lock_guard<std::mutex> lock(mu_);
    EmailLookup found{.email_key = EmailKey(email)};
    for (const auto& [id, u] : users_) {
      if (EmailKey(u.email) == found.email_key) found.user = u;
    }
    return found;
  }
  absl::StatusOr<std::optional<UserRecord>> FindUserByEmail(const std::string& email) override {
    auto found = LookUpEmail(email);
    if (!found.ok()) return found.status();
    return found->user;
  }
  absl::StatusOr<UserRecord> GetUser(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    return it->second;
  }
  absl::StatusOr<UserRecord> UpdateUserName(const std::string& id,
                                            const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    it->second.name = name;
    return it->second;
  }
  absl::Status UpdatePasswordHash(const std::string& id, const std::string& hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    it->second.password_hash = hash;
    return absl::OkStatus();
  }
  absl::Status SetUserRole(const std::string& id, const std::string& role) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    it->second.role = role;
    return absl::OkStatus();
  }

  absl::Status InsertRefreshToken(const RefreshTokenRecord& token) override {
    std::lock_guard<std::mutex> lock(mu_);
    tokens_[token.token_hash] = Token{token, std::nullopt, std::nullopt};
    return absl::OkStatus();
  }
  absl::StatusOr<RotateResult> RotateRefreshToken(const std::string& token_hash,
                                                  RefreshTokenRecord next, TimePoint now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RotateResult result;
    auto it = tokens_.find(token_hash);
    if (it == tokens_.end() || it->second.revoked_at || it->second.record.expires_at <= now) {
      return result;
    }
    result.family_id = it->second.record.family_id;
    result.user_id = it->second.record.user_id;
    if (it->second.used_at) {
      RevokeFamilyLocked(result.family_id, now);
      result.outcome = RotateResult::kReused;
      return result;
    }
    it->second.used_at = now;
    next.family_id = result.family_id;
    next.user_id = result.user_id;
    tokens_[next.token_hash] = Token{next, std::nullopt, std::nullopt};
    result.outcome = RotateResult::kRotated;
    return result;
  }
  absl::StatusOr<bool> RevokeRefreshFamily(const std::string& token_hash, TimePoint now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(token_hash);
    if (it == tokens_.end()) return false;
    RevokeFamilyLocked(it->second.record.family_id, now);
    return true;
  }
  absl::StatusOr<int> DeleteExpiredRefreshTokens(TimePoint before) override {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::erase_if(
        tokens_, [&](const auto& entry) { return entry.second.record.expires_at < before; }));
  }

  absl::StatusOr<std::optional<TimePoint>> LockedUntil(const std::vector<std::string>& keys,
                                                       TimePoint now) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<TimePoint> until;
    for (const auto& key : keys) {
      auto it = throttle_.find(key);
      if (it == throttle_.end() || !it->second.locked_until || *it->second.locked_until <= now) {
        continue;
      }
      if (!until || *it->second.locked_until > *until) until = it->second.locked_until;
    }
    return until;
  }
  absl::StatusOr<int> RecordLoginFailure(const std::string& key, TimePoint now,
                                         const ThrottlePolicy& policy) override {
    std::lock_guard<std::mutex> lock(mu_);
    Throttle& t = throttle_[key];
    if (t.failures > 0 && t.last_failure_at < now - policy.window) t.failures = 0;
    ++t.failures;
    t.last_failure_at = std::max(t.last_failure_at, now);
    if (auto lock_for = LockoutAfter(policy, t.failures); lock_for.count() > 0) {
      t.locked_until = std::max(t.locked_until.value_or(now), now + lock_for);
    }
    return t.failures;
  }
  absl::Status ClearLoginFailures(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    throttle_.erase(key);
    return absl::OkStatus();
  }
  absl::StatusOr<int> PruneLoginFailures(TimePoint before) override {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::erase_if(throttle_, [&](const auto& entry) {
      return entry.second.last_failure_at < before &&
             (!entry.second.locked_until || *entry.second.locked_until < before);
    }));
  }

  absl::StatusOr<std::vector<common::v1::Address>> ListAddresses(
      const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<common::v1::Address> out;
    for (const auto& [owner, a] : addresses_) {
      if (owner == user_id) out.push_back(a);
    }
    return out;
  }
  absl::Status CreateAddress(const std::string& user_id, const common::v1::Address& address,
                             int max_addresses) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!users_.count(user_id)) return absl::NotFoundError("no such user");
    const auto count = std::count_if(addresses_.begin(), addresses_.end(),
                                     [&](const auto& e) { return e.first == user_id; });
    if (count >= max_addresses) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "too_many_addresses",
                           "too many addresses");
    }
    addresses_.emplace_back(user_id, address);
    return absl::OkStatus();
  }
  absl::StatusOr<common::v1::Address> GetAddress(const std::string& user_id,
                                                 const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [owner, a] : addresses_) {
      if (owner == user_id && a.id() == id) return a;
    }
    return NotFound();
  }
  absl::Status UpdateAddress(const std::string& user_id,
                             const common::v1::Address& address) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [owner, a] : addresses_) {
      if (owner == user_id && a.id() == address.id()) {
        a = address;
        return absl::OkStatus();
      }
    }
    return NotFound();
  }
  absl::Status DeleteAddress(const std::string& user_id, const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto erased = std::erase_if(
        addresses_, [&](const auto& e) { return e.first == user_id && e.second.id() == id; });
    return erased == 0 ? NotFound() : absl::OkStatus();
  }

  // For assertions.
  std::map<std::string, Token> tokens() const {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_;
  }
  std::map<std::string, Throttle> throttle() const {
    std::lock_guard<std::mutex> lock(mu_);
    return throttle_;
  }
  std::map<std::string, UserRecord> users() const {
    std::lock_guard<std::mutex> lock(mu_);
    return users_;
  }

 private:
  static absl::Status NotFound() {
    return ErrorWithCode(absl::StatusCode::kNotFound, "address_not_found", "no such address");
  }
  void RevokeFamilyLocked(const std::string& family_id, TimePoint now) {
    for (auto& [hash, t] : tokens_) {
      if (t.record.family_id == family_id && !t.revoked_at) t.revoked_at = now;
    }
  }

  mutable std::mutex mu_;
  std::map<std::string, UserRecord> users_;
  std::map<std::string, Token> tokens_;
  std::map<std::string, Throttle> throttle_;
  std::vector<std::pair<std::string, common::v1::Address>> addresses_;
};

}  // namespace mercato::user
