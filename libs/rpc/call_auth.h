// Who is calling a Mercato gRPC service. Every RPC handled through RunBlocking / RunInline
// (rpc/handler.h) is authenticated here before its handler runs; the health and reflection
// services are not (probes and grpcurl need no credential).
//
//   - x-mercato-service-token: required; a service token (auth/service_token.h) from a
//     service allowed to call this one. Missing or invalid: UNAUTHENTICATED; from a service
//     that may not call this one: PERMISSION_DENIED. Sets CallContext::caller.
//   - authorization: "Bearer <access token>", optional; verified with the user service's
//     public key when this service acts for shoppers. Sets user_id and user_role; a token
//     that does not verify leaves them empty (so RequireSignedIn() refuses).
//   - x-mercato-on-behalf-of: optional; copied to on_behalf_of as a claim of the caller's,
//     which only handlers that trust that caller use (UserActedFor in rpc/handler.h).
// Nothing else in the metadata (x-mercato-user-id, x-mercato-user-role, ...) is identity.
//
// ServiceHost installs the process's authenticator at start-up; without one every call is
// refused (UNAUTHENTICATED), never let through.
#pragma once

#include <grpcpp/support/string_ref.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "auth/access_token.h"
#include "auth/service_token.h"
#include "common/call_context.h"

namespace mercato {

using GrpcMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

class CallAuthenticator {
 public:
  // `users`: absent for a service that never acts for shoppers (tokens are then ignored).
  CallAuthenticator(auth::ServiceTokenVerifier services,
                    std::optional<auth::AccessTokenVerifier> users);

  // Fills call.caller, call.user_id / user_role and call.on_behalf_of from `metadata`, or
  // returns the refusal.
  absl::Status Authenticate(const GrpcMetadata& metadata, std::chrono::system_clock::time_point now,
                            CallContext& call) const;

 private:
  void AuthenticateUser(const GrpcMetadata& metadata, std::chrono::system_clock::time_point now,
                        CallContext& call) const;

  auth::ServiceTokenVerifier services_;
  std::optional<auth::AccessTokenVerifier> users_;
};

// The authenticator every RPC of this process goes through (null: all are refused).
void InstallCallAuthenticator(std::shared_ptr<const CallAuthenticator> authenticator);
std::shared_ptr<const CallAuthenticator> InstalledCallAuthenticator();

}  // namespace mercato
