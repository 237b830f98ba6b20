// Runs a gRPC callback handler's blocking work (database, outgoing RPCs) on a
// BoundedExecutor, with the call's CallContext installed, and finishes the call with the
// returned absl::Status. When the executor is saturated the call is refused at once with
// RESOURCE_EXHAUSTED (load shedding); a call whose deadline passed while it waited is not
// started.
//
//   grpc::ServerUnaryReactor* CatalogService::GetProduct(grpc::CallbackServerContext* ctx,
//       const GetProductRequest* request, Product* response) {
//     return mercato::RunBlocking(ctx, executor_, [=] { return DoGetProduct(*request, response); });
//   }
#pragma once

#include <grpcpp/support/server_callback.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/call_context.h"
#include "common/executor.h"

namespace mercato {

// The request id, trace, verified caller and deadline from the incoming metadata. A missing
// request id or trace context is generated.
CallContext CallContextFromServer(const grpc::CallbackServerContext& ctx);

grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* ctx,
                                      BoundedExecutor& executor,
                                      std::function<absl::Status()> work);

// Runs non-blocking work (in-memory reads) directly on the gRPC thread, with the call's
// CallContext installed, and finishes the call with its status.
grpc::ServerUnaryReactor* RunInline(grpc::CallbackServerContext* ctx,
                                    const std::function<absl::Status()>& work);

// The signed-in caller's user id, or UNAUTHENTICATED.
absl::StatusOr<std::string> RequireSignedIn();
// OK for a caller with role "admin"; UNAUTHENTICATED without a caller, PERMISSION_DENIED
// otherwise.
absl::Status RequireAdmin();

}  // namespace mercato
