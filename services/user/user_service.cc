#include "user/user_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/handler.h"
#include "user/credentials.h"
#include "user/validation.h"

namespace mercato::user {
namespace {

// Every recorded failure counts towards this; then stale throttle rows are deleted.
constexpr int kFailuresBetweenPrunes = 1000;

absl::Status InvalidCredentials() {
  return ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_credentials",
                       "wrong email or password");
}

absl::Status TooManyAttempts(int retry_after) {
  return ErrorWithCode(
      absl::StatusCode::kResourceExhausted, "too_many_attempts",
      absl::StrCat("too many failed sign-in attempts; try again in ", retry_after, " seconds"),
      retry_after);
}

absl::Status InvalidRefreshToken() {
  return ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_refresh_token",
                       "the refresh token is invalid, expired or revoked");
}

absl::Status AddressNotFound() {
  return ErrorWithCode(absl::StatusCode::kNotFound, "address_not_found", "no such address");
}

// Prefixes a validation error with the variable it came from (start-up only).
absl::Status ForVariable(const absl::Status& status, absl::string_view variable) {
  return absl::InvalidArgumentError(absl::StrCat(variable, ": ", status.message()));
}

}  // namespace

v1::Role RoleFromString(const std::string& role) {
  if (role == kRoleAdmin) return v1::ROLE_ADMIN;
  if (role == kRoleCustomer) return v1::ROLE_CUSTOMER;
  return v1::ROLE_UNSPECIFIED;
}

void FillUser(const UserRecord& record, v1::User* user) {
  user->set_id(record.id);
  user->set_email(record.email);
  user->set_name(record.name);
  user->set_role(RoleFromString(record.role));
  user->set_created_at_unix_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(record.created_at.time_since_epoch())
          .count());
}

absl::Status UserService::EnsureAdmin(const std::string& raw_email, const std::string& password) {
  auto email = NormaliseEmail(raw_email);
  if (!email.ok()) return ForVariable(email.status(), "MERCATO_ADMIN_EMAIL");
  if (absl::Status s = CheckPasswordPolicy(password, *email); !s.ok()) {
    return ForVariable(s, "MERCATO_ADMIN_PASSWORD");
  }
  // Twice at most: another replica may create the account between our look-up and insert.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = store_.FindUserByEmail(*email);
    if (!existing.ok()) return existing.status();
    if (!*existing) {
      auto hash = HashPassword(password);
      if (!hash.ok()) return hash.status();
      UserRecord admin{.id = NewUuid(),
                       .email = *email,
                       .name = "Administrator",
                       .role = kRoleAdmin,
                       .password_hash = *std::move(hash),
                       .created_at = clock_()};
      absl::Status created = store_.CreateUser(admin);
      if (created.code() == absl::StatusCode::kAlreadyExists) continue;
      if (!created.ok()) return created;
      spdlog::info("created the admin account {} ({})", admin.email, admin.id);
      return absl::OkStatus();
    }
    const UserRecord& user = **existing;
    if (user.role != kRoleAdmin) {
      if (absl::Status s = store_.SetUserRole(user.id, kRoleAdmin); !s.ok()) return s;
      spdlog::info("gave the admin role to the existing account {} ({})", user.email, user.id);
    }
    if (!VerifyPassword(user.password_hash, password)) {
      auto hash = HashPassword(password);
      if (!hash.ok()) return hash.status();
      if (absl::Status s = store_.UpdatePasswordHash(user.id, *hash); !s.ok()) return s;
      spdlog::info("set the password of the admin account {} from MERCATO_ADMIN_PASSWORD",
                   user.email);
    }
    return absl::OkStatus();
  }
  return absl::AbortedError("the admin account changed concurrently; restart to retry");
}

absl::Status UserService::PruneExpired() {
  const TimePoint now = clock_();
  auto tokens = store_.DeleteExpiredRefreshTokens(now);
  if (!tokens.ok()) return tokens.status();
  const auto window =
      std::max({options_.client_throttle.window, options_.client_throttle_under_attack.window,
                options_.account_count.window});
  auto counts = store_.PruneLoginFailures(now - window);
  if (!counts.ok()) return counts.status();
  if (*tokens > 0 || *counts > 0) {
    spdlog::info("pruned {} expired refresh tokens and {} stale login-failure counts", *tokens,
                 *counts);
  }
  return absl::OkStatus();
}

absl::Status UserService::DoRegister(const v1::RegisterRequest& request, v1::User* response) {
  auto email = NormaliseEmail(request.email());
  if (!email.ok()) return email.status();
  auto name = NormaliseName(request.name());
  if (!name.ok()) return name.status();
  if (absl::Status s = CheckPasswordPolicy(request.password(), *email); !s.ok()) return s;
  // Checked before hashing, which is the expensive part; the unique index decides races.
  auto existing = store_.FindUserByEmail(*email);
  if (!existing.ok()) return existing.status();
  if (*existing) {
    return ErrorWithCode(absl::StatusCode::kAlreadyExists, "email_taken",
                         "an account with this email already exists");
  }
  auto hash = HashPassword(request.password());
  if (!hash.ok()) return hash.status();
  UserRecord user{.id = NewUuid(),
                  .email = *std::move(email),
                  .name = *std::move(name),
                  .role = kRoleCustomer,
                  .password_hash = *std::move(hash),
                  .created_at = clock_()};
  if (absl::Status s = store_.CreateUser(user); !s.ok()) return s;
  spdlog::info("registered user {}", user.id);
  FillUser(user, response);
  return absl::OkStatus();
}

absl::StatusOr<UserService::LoginSubject> UserService::IdentifyLogin(
    const absl::StatusOr<std::string>& email, const v1::LoginRequest& request) {
  LoginSubject subject;
  if (email.ok()) {
    // The account is found by the key that decides uniqueness (EmailLookup), and counts under
    // its id, so every spelling of its address shares one count.
    auto found = store_.LookUpEmail(*email);
    if (!found.ok()) return found.status();
    subject.user = std::move(found->user);
    subject.account_key =
        subject.user ? AccountThrottleKey(subject.user->id) : EmailThrottleKey(found->email_key);
  } else {
    // An email that does not parse is still counted, under its trimmed lower-case form.
    subject.account_key = EmailThrottleKey(absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(request.email().substr(0, kMaxEmailLength + 64))));
  }
  subject.client_network = ClientNetwork(request.client_address());
  subject.client_key = ClientThrottleKey(subject.account_key, request.client_address());
  return subject;
}

absl::Status UserService::LoginFailed(const LoginSubject& subject) {
  const TimePoint now = clock_();
  auto account_failures =
      store_.RecordLoginFailure(subject.account_key, now, options_.account_count);
  if (!account_failures.ok()) return account_failures.status();
  const bool under_attack = *account_failures >= options_.account_under_attack_after;
  const ThrottlePolicy& policy =
      under_attack ? options_.client_throttle_under_attack : options_.client_throttle;
  auto failures = store_.RecordLoginFailure(subject.client_key, now, policy);
  if (!failures.ok()) return failures.status();
  if (LockoutAfter(policy, *failures).count() > 0) {
    spdlog::warn(
        "sign-in to {} locked for the client {} after its {} failures ({} for the "
        "account)",
        subject.user ? subject.user->id : std::string("an unknown email"), subject.client_network,
        *failures, *account_failures);
  }
  PruneNowAndThen();
  return InvalidCredentials();
}

void UserService::PruneNowAndThen() {
  if (failures_since_prune_.fetch_add(1) + 1 < kFailuresBetweenPrunes) return;
  failures_since_prune_ = 0;
  if (absl::Status s = PruneExpired(); !s.ok()) spdlog::warn("pruning failed: {}", s);
}

absl::Status UserService::DoLogin(const v1::LoginRequest& request, v1::Session* response) {
  const TimePoint now = clock_();
  auto email = NormaliseEmail(request.email());
  auto subject = IdentifyLogin(email, request);
  if (!subject.ok()) return subject.status();
  // Only this client's own failures on this account can lock it out.
  auto locked = store_.LockedUntil({subject->client_key}, now);
  if (!locked.ok()) return locked.status();
  if (*locked) return TooManyAttempts(RetryAfterSeconds(**locked, now));
  if (!email.ok() || request.password().empty() || request.password().size() > kMaxPasswordBytes) {
    return LoginFailed(*subject);
  }
  if (!subject->user) {
    // As slow as a wrong password, so response times do not tell which emails exist.
    VerifyAgainstDummyHash(request.password());
    return LoginFailed(*subject);
  }
  const UserRecord& user = *subject->user;
  if (!VerifyPassword(user.password_hash, request.password())) return LoginFailed(*subject);
  if (absl::Status s = store_.ClearLoginFailures(subject->client_key); !s.ok()) {
    spdlog::warn("could not clear the login failures of user {}: {}", user.id, s);
  }
  if (PasswordNeedsRehash(user.password_hash)) {
    // Hashes made with older parameters are upgraded while the password is at hand.
    auto hash = HashPassword(request.password());
    absl::Status s = hash.ok() ? store_.UpdatePasswordHash(user.id, *hash) : hash.status();
    if (!s.ok()) spdlog::warn("could not upgrade the password hash of user {}: {}", user.id, s);
  }
  if (absl::Status s = StartSession(user, response); !s.ok()) return s;
  spdlog::info("user {} signed in", user.id);
  return absl::OkStatus();
}

RefreshTokenRecord UserService::NewTokenRecord(const std::string& token, TimePoint now) const {
  RefreshTokenRecord record;
  record.id = NewUuid();
  record.token_hash = RefreshTokenHash(token);
  record.created_at = now;
  record.expires_at = now + options_.refresh_token_ttl;
  return record;
}

absl::Status UserService::StartSession(const UserRecord& user, v1::Session* session) {
  const std::string token = NewRefreshToken();
  RefreshTokenRecord record = NewTokenRecord(token, clock_());
  record.family_id = NewUuid();
  record.user_id = user.id;
  if (absl::Status s = store_.InsertRefreshToken(record); !s.ok()) return s;
  return FillSession(user, token, session);
}

absl::Status UserService::FillSession(const UserRecord& user, const std::string& refresh_token,
                                      v1::Session* session) {
  auto access = issuer_.Issue(user.id, user.role, clock_());
  if (!access.ok()) return access.status();
  session->set_access_token(*std::move(access));
  session->set_refresh_token(refresh_token);
  session->set_expires_in_seconds(static_cast<int32_t>(issuer_.ttl().count()));
  FillUser(user, session->mutable_user());
  return absl::OkStatus();
}

absl::Status UserService::DoRefreshSession(const v1::RefreshSessionRequest& request,
                                           v1::Session* response) {
  if (!LooksLikeRefreshToken(request.refresh_token())) return InvalidRefreshToken();
  const TimePoint now = clock_();
  const std::string next_token = NewRefreshToken();
  auto rotated = store_.RotateRefreshToken(RefreshTokenHash(request.refresh_token()),
                                           NewTokenRecord(next_token, now), now);
  if (!rotated.ok()) return rotated.status();
  switch (rotated->outcome) {
    case RotateResult::kInvalid:
      return InvalidRefreshToken();
    case RotateResult::kReused:
      spdlog::warn("a used refresh token of user {} was presented again; revoked its family {}",
                   rotated->user_id, rotated->family_id);
      return InvalidRefreshToken();
    case RotateResult::kRotated:
      break;
  }
  auto user = store_.GetUser(rotated->user_id);
  if (user.status().code() == absl::StatusCode::kNotFound) return InvalidRefreshToken();
  if (!user.ok()) return user.status();
  return FillSession(*user, next_token, response);
}

absl::Status UserService::DoLogout(const v1::LogoutRequest& request) {
  // Idempotent: an unknown or malformed token is already as good as revoked.
  if (!LooksLikeRefreshToken(request.refresh_token())) return absl::OkStatus();
  auto found = store_.RevokeRefreshFamily(RefreshTokenHash(request.refresh_token()), clock_());
  if (!found.ok()) return found.status();
  return absl::OkStatus();
}

absl::Status UserService::DoGetMe(v1::User* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  auto user = store_.GetUser(*user_id);
  if (!user.ok()) return user.status();
  FillUser(*user, response);
  return absl::OkStatus();
}

absl::Status UserService::DoUpdateMe(const v1::UpdateMeRequest& request, v1::User* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  auto name = NormaliseName(request.name());
  if (!name.ok()) return name.status();
  auto user = store_.UpdateUserName(*user_id, *name);
  if (!user.ok()) return user.status();
  FillUser(*user, response);
  return absl::OkStatus();
}

absl::Status UserService::DoListAddresses(v1::ListAddressesResponse* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  auto addresses = store_.ListAddresses(*user_id);
  if (!addresses.ok()) return addresses.status();
  for (auto& a : *addresses) *response->add_addresses() = std::move(a);
  return absl::OkStatus();
}

absl::Status UserService::DoCreateAddress(const v1::CreateAddressRequest& request,
                                          common::v1::Address* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  common::v1::Address address = request.address();
  if (absl::Status s = NormaliseAddress(address); !s.ok()) return s;
  address.set_id(NewUuid());
  if (absl::Status s = store_.CreateAddress(*user_id, address, options_.max_addresses); !s.ok()) {
    return s;
  }
  *response = std::move(address);
  return absl::OkStatus();
}

absl::Status UserService::DoGetAddress(const v1::GetAddressRequest& request,
                                       common::v1::Address* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  if (!IsUuid(request.id())) return AddressNotFound();
  auto address = store_.GetAddress(*user_id, request.id());
  if (!address.ok()) return address.status();
  *response = *std::move(address);
  return absl::OkStatus();
}

absl::Status UserService::DoUpdateAddress(const v1::UpdateAddressRequest& request,
                                          common::v1::Address* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  if (!IsUuid(request.address().id())) return AddressNotFound();
  common::v1::Address address = request.address();
  if (absl::Status s = NormaliseAddress(address); !s.ok()) return s;
  if (absl::Status s = store_.UpdateAddress(*user_id, address); !s.ok()) return s;
  *response = std::move(address);
  return absl::OkStatus();
}

absl::Status UserService::DoDeleteAddress(const v1::DeleteAddressRequest& request) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  if (!IsUuid(request.id())) return AddressNotFound();
  return store_.DeleteAddress(*user_id, request.id());
}

absl::Status UserService::DoGetContact(const v1::GetContactRequest& request,
                                       v1::Contact* response) {
  if (absl::Status s = RequireCaller({"notification"}); !s.ok()) return s;
  auto user = store_.GetUser(request.user_id());
  if (!user.ok()) {
    if (!absl::IsNotFound(user.status())) return user.status();
    // The id is not echoed: whatever a caller put there stays out of errors and logs.
    return ErrorWithCode(absl::StatusCode::kNotFound, "user_not_found", "no such user");
  }
  response->set_user_id(user->id);
  response->set_email(user->email);
  response->set_name(user->name);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* UserService::ForGateway(grpc::CallbackServerContext* ctx,
                                                  std::function<absl::Status()> work) {
  return RunBlocking(ctx, executor_, [work = std::move(work)] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return work();
  });
}

grpc::ServerUnaryReactor* UserService::Register(grpc::CallbackServerContext* ctx,
                                                const v1::RegisterRequest* request,
                                                v1::User* response) {
  return ForGateway(ctx, [=, this] { return DoRegister(*request, response); });
}

grpc::ServerUnaryReactor* UserService::Login(grpc::CallbackServerContext* ctx,
                                             const v1::LoginRequest* request,
                                             v1::Session* response) {
  return ForGateway(ctx, [=, this] { return DoLogin(*request, response); });
}

grpc::ServerUnaryReactor* UserService::RefreshSession(grpc::CallbackServerContext* ctx,
                                                      const v1::RefreshSessionRequest* request,
                                                      v1::Session* response) {
  return ForGateway(ctx, [=, this] { return DoRefreshSession(*request, response); });
}

grpc::ServerUnaryReactor* UserService::Logout(grpc::CallbackServerContext* ctx,
                                              const v1::LogoutRequest* request,
                                              v1::LogoutResponse*) {
  return ForGateway(ctx, [=, this] { return DoLogout(*request); });
}

grpc::ServerUnaryReactor* UserService::GetMe(grpc::CallbackServerContext* ctx,
                                             const v1::GetMeRequest*, v1::User* response) {
  return ForGateway(ctx, [=, this] { return DoGetMe(response); });
}

grpc::ServerUnaryReactor* UserService::UpdateMe(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateMeRequest* request,
                                                v1::User* response) {
  return ForGateway(ctx, [=, this] { return DoUpdateMe(*request, response); });
}

grpc::ServerUnaryReactor* UserService::ListAddresses(grpc::CallbackServerContext* ctx,
                                                     const v1::ListAddressesRequest*,
                                                     v1::ListAddressesResponse* response) {
  return ForGateway(ctx, [=, this] { return DoListAddresses(response); });
}

grpc::ServerUnaryReactor* UserService::CreateAddress(grpc::CallbackServerContext* ctx,
                                                     const v1::CreateAddressRequest* request,
                                                     common::v1::Address* response) {
  return ForGateway(ctx, [=, this] { return DoCreateAddress(*request, response); });
}

grpc::ServerUnaryReactor* UserService::GetAddress(grpc::CallbackServerContext* ctx,
                                                  const v1::GetAddressRequest* request,
                                                  common::v1::Address* response) {
  return ForGateway(ctx, [=, this] { return DoGetAddress(*request, response); });
}

grpc::ServerUnaryReactor* UserService::UpdateAddress(grpc::CallbackServerContext* ctx,
                                                     const v1::UpdateAddressRequest* request,
                                                     common::v1::Address* response) {
  return ForGateway(ctx, [=, this] { return DoUpdateAddress(*request, response); });
}

grpc::ServerUnaryReactor* UserService::DeleteAddress(grpc::CallbackServerContext* ctx,
                                                     const v1::DeleteAddressRequest* request,
                                                     v1::DeleteAddressResponse*) {
  return ForGateway(ctx, [=, this] { return DoDeleteAddress(*request); });
}

grpc::ServerUnaryReactor* UserService::GetContact(grpc::CallbackServerContext* ctx,
                                                  const v1::GetContactRequest* request,
                                                  v1::Contact* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoGetContact(*request, response); });
}

}  // namespace mercato::user
