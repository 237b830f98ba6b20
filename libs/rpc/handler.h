// Runs a gRPC callback handler's blocking work (database, outgoing RPCs) on a
// BoundedExecutor, with the call's CallContext installed, and finishes the call with the
// returned absl::Status. A call whose caller is not authenticated (rpc/call_auth.h) is refused
// before anything runs. When the executor is saturated the call is refused at once with
// RESOURCE_EXHAUSTED (load shedding); a call whose deadline passed while it waited is not
// started.
//
//   grpc::ServerUnaryReactor* CatalogService::GetProduct(grpc::CallbackServerContext* ctx,
//       const GetProductRequest* request, Product* response) {
//     return mercato::RunBlocking(ctx, executor_, [=] { return DoGetProduct(*request, response);
//     });
//   }
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/call_context.h"
#include "common/executor.h"

namespace mercato {

// The request id, trace and deadline from the incoming metadata. A missing request id or
// trace context is generated.
CallContext CallContextFromServer(const grpc::CallbackServerContext& ctx);
// Fills `call`'s caller and user from the metadata through the installed CallAuthenticator
// (rpc/call_auth.h); or returns the refusal (UNAUTHENTICATED / PERMISSION_DENIED).
absl::Status AuthenticateCall(const grpc::CallbackServerContext& ctx, CallContext& call);

grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* ctx, BoundedExecutor& executor,
                                      std::function<absl::Status()> work);

// Runs non-blocking work (in-memory reads) directly on the gRPC thread, with the call's
// CallContext installed (authenticated first, as RunBlocking does), and finishes the call with
// its status.
grpc::ServerUnaryReactor* RunInline(grpc::CallbackServerContext* ctx,
                                    const std::function<absl::Status()>& work);

// What a handler requires of the caller (docs/security.md has the table, RPC by RPC):
//
// OK when the calling service is one of `services`, else PERMISSION_DENIED.
absl::Status RequireCaller(std::initializer_list<absl::string_view> services);
// The user id of the shopper's verified access token, or UNAUTHENTICATED.
absl::StatusOr<std::string> RequireSignedIn();
// OK for a verified access token with role "admin"; UNAUTHENTICATED without one,
// PERMISSION_DENIED for another role.
absl::Status RequireAdmin();
// The user the call acts for: the verified access token's; else, when the calling service is
// one of `trusted`, the user it names (x-mercato-on-behalf-of); else "" (nobody).
std::string UserActedFor(std::initializer_list<absl::string_view> trusted);

}  // namespace mercato
