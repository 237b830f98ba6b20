// gRPC handlers of mercato.user.v1.UserService: registration, sign-in with access and
// rotating refresh tokens, brute-force protection, the profile and the address book.
// Everything touches PostgreSQL or hashes a password, so every call runs on the executor.
//
// Identity: the signed-in calls act on CurrentCall().user_id, which comes from metadata the
// gateway sets after verifying the access token (rpc/handler.h: RequireSignedIn()). Every RPC
// but GetContact is the gateway's only; GetContact is the notification service's only
// (PERMISSION_DENIED for any other caller, the gateway included).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "common/executor.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "user/access_token.h"
#include "user/login_throttle.h"
#include "user/user_store.h"

namespace mercato::user {

struct UserServiceOptions {
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
  // Sign-in throttling (login_throttle.h).
  ThrottlePolicy client_throttle = kClientThrottle;
  ThrottlePolicy client_throttle_under_attack = kClientThrottleUnderAttack;
  ThrottlePolicy account_count = kAccountCount;
  int account_under_attack_after = kAccountUnderAttackAfter;
  int max_addresses = 20;
};

class UserService final : public v1::UserService::CallbackService {
 public:
  using Clock = std::function<TimePoint()>;

  UserService(
      UserStore& store, const AccessTokenIssuer& issuer, BoundedExecutor& executor,
      UserServiceOptions options = {},
      Clock clock = [] { return std::chrono::system_clock::now(); })
      : store_(store),
        issuer_(issuer),
        executor_(executor),
        options_(options),
        clock_(std::move(clock)) {}

  // Makes sure an admin account with this email and password exists (creating it, raising
  // its role or resetting its password as needed). For start-up; safe on every replica.
  // INVALID_ARGUMENT when the email or the password breaks the rules.
  absl::Status EnsureAdmin(const std::string& email, const std::string& password);
  // Deletes expired refresh tokens and stale login-failure counts.
  absl::Status PruneExpired();

  // The logic of each RPC, callable without gRPC (unit tests).
  absl::Status DoRegister(const v1::RegisterRequest& request, v1::User* response);
  absl::Status DoLogin(const v1::LoginRequest& request, v1::Session* response);
  absl::Status DoRefreshSession(const v1::RefreshSessionRequest& request, v1::Session* response);
  absl::Status DoLogout(const v1::LogoutRequest& request);
  absl::Status DoGetMe(v1::User* response);
  absl::Status DoUpdateMe(const v1::UpdateMeRequest& request, v1::User* response);
  absl::Status DoListAddresses(v1::ListAddressesResponse* response);
  absl::Status DoCreateAddress(const v1::CreateAddressRequest& request,
                               common::v1::Address* response);
  absl::Status DoGetAddress(const v1::GetAddressRequest& request, common::v1::Address* response);
  absl::Status DoUpdateAddress(const v1::UpdateAddressRequest& request,
                               common::v1::Address* response);
  absl::Status DoDeleteAddress(const v1::DeleteAddressRequest& request);
  // The notification service only (RequireCaller): the user's normalised email and name;
  // NOT_FOUND "user_not_found" for an unknown id.
  absl::Status DoGetContact(const v1::GetContactRequest& request, v1::Contact* response);

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* request,
                                     v1::User* response) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* request,
                                  v1::Session* response) override;
  grpc::ServerUnaryReactor* RefreshSession(grpc::CallbackServerContext* ctx,
                                           const v1::RefreshSessionRequest* request,
                                           v1::Session* response) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx,
                                   const v1::LogoutRequest* request,
                                   v1::LogoutResponse* response) override;
  grpc::ServerUnaryReactor* GetMe(grpc::CallbackServerContext* ctx, const v1::GetMeRequest* request,
                                  v1::User* response) override;
  grpc::ServerUnaryReactor* UpdateMe(grpc::CallbackServerContext* ctx,
                                     const v1::UpdateMeRequest* request,
                                     v1::User* response) override;
  grpc::ServerUnaryReactor* ListAddresses(grpc::CallbackServerContext* ctx,
                                          const v1::ListAddressesRequest* request,
                                          v1::ListAddressesResponse* response) override;
  grpc::ServerUnaryReactor* CreateAddress(grpc::CallbackServerContext* ctx,
                                          const v1::CreateAddressRequest* request,
                                          common::v1::Address* response) override;
  grpc::ServerUnaryReactor* GetAddress(grpc::CallbackServerContext* ctx,
                                       const v1::GetAddressRequest* request,
                                       common::v1::Address* response) override;
  grpc::ServerUnaryReactor* UpdateAddress(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateAddressRequest* request,
                                          common::v1::Address* response) override;
  grpc::ServerUnaryReactor* DeleteAddress(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteAddressRequest* request,
                                          v1::DeleteAddressResponse* response) override;
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* ctx,
                                       const v1::GetContactRequest* request,
                                       v1::Contact* response) override;

 private:
  // RunBlocking for the RPCs only the gateway may call (PERMISSION_DENIED for another caller).
  grpc::ServerUnaryReactor* ForGateway(grpc::CallbackServerContext* ctx,
                                       std::function<absl::Status()> work);
  // Starts a new token family for the user and fills the session.
  absl::Status StartSession(const UserRecord& user, v1::Session* session);
  // Fills the session: a new access token, the (already stored) refresh token and the user.
  absl::Status FillSession(const UserRecord& user, const std::string& refresh_token,
                           v1::Session* session);
  RefreshTokenRecord NewTokenRecord(const std::string& token, TimePoint now) const;

  // What a sign-in attempt is about: the account, if one has the email, and its throttle keys.
  struct LoginSubject {
    std::optional<UserRecord> user;
    std::string account_key;
    std::string client_network;  // for log lines
    std::string client_key;
  };
  absl::StatusOr<LoginSubject> IdentifyLogin(const absl::StatusOr<std::string>& email,
                                             const v1::LoginRequest& request);
  // Counts a failed sign-in for the account and its client (with the stricter schedule once
  // the account is under attack); returns UNAUTHENTICATED "invalid_credentials".
  absl::Status LoginFailed(const LoginSubject& subject);
  void PruneNowAndThen();

  UserStore& store_;
  const AccessTokenIssuer& issuer_;
  BoundedExecutor& executor_;
  const UserServiceOptions options_;
  const Clock clock_;
  // Stale login-failure rows are pruned every this many recorded failures.
  std::atomic<int> failures_since_prune_{0};
};

// "customer" / "admin" -> the proto enum.
v1::Role RoleFromString(const std::string& role);
void FillUser(const UserRecord& record, v1::User* user);

}  // namespace mercato::user
