#include "rpc/handler.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"

#include "common/ids.h"
#include "rpc/status_conversion.h"

namespace mercato {
namespace {

std::string Metadata(const grpc::CallbackServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

CallContext CallContextFromServer(const grpc::CallbackServerContext& ctx) {
  CallContext call;
  call.request_id = Metadata(ctx, kRequestIdKey);
  if (call.request_id.empty()) call.request_id = NewUuid();
  call.traceparent = Metadata(ctx, kTraceparentKey);
  if (!IsValidTraceparent(call.traceparent)) call.traceparent = NewTraceparent();
  call.trace_id = TraceIdOf(call.traceparent);
  call.user_id = Metadata(ctx, kUserIdKey);
  call.user_role = Metadata(ctx, kUserRoleKey);
  call.deadline = ctx.deadline();
  return call;
}

grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* ctx,
                                      BoundedExecutor& executor,
                                      std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  CallContext call = CallContextFromServer(*ctx);
  const bool accepted =
      executor.TrySubmit([reactor, ctx, call = std::move(call), work = std::move(work)]() mutable {
        ScopedCallContext scope(std::move(call));
        if (std::chrono::system_clock::now() >= CurrentCall().deadline) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed before the call started"));
          return;
        }
        if (ctx->IsCancelled()) {
          reactor->Finish(grpc::Status::CANCELLED);
          return;
        }
        absl::Status status;
        try {
          status = work();
        } catch (const std::exception& e) {
          // Handlers return statuses; an exception here is a bug. Do not take the process
          // down with it, and do not echo the exception text to the caller.
          spdlog::error("unhandled exception in handler: {}", e.what());
          status = absl::InternalError("internal error");
        }
        if (!status.ok() && status.code() != absl::StatusCode::kNotFound &&
            status.code() != absl::StatusCode::kInvalidArgument &&
            status.code() != absl::StatusCode::kFailedPrecondition &&
            status.code() != absl::StatusCode::kAlreadyExists &&
            status.code() != absl::StatusCode::kUnauthenticated &&
            status.code() != absl::StatusCode::kPermissionDenied) {
          spdlog::warn("call failed: {}", status.ToString());
        }
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!accepted) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "server overloaded: too many calls in flight"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* RunInline(grpc::CallbackServerContext* ctx,
                                    const std::function<absl::Status()>& work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  ScopedCallContext scope(CallContextFromServer(*ctx));
  reactor->Finish(ToGrpcStatus(work()));
  return reactor;
}

absl::StatusOr<std::string> RequireSignedIn() {
  const CallContext& call = CurrentCall();
  if (call.user_id.empty()) return absl::UnauthenticatedError("sign-in required");
  return call.user_id;
}

absl::Status RequireAdmin() {
  const CallContext& call = CurrentCall();
  if (call.user_id.empty()) return absl::UnauthenticatedError("sign-in required");
  if (call.user_role != "admin") return absl::PermissionDeniedError("admin role required");
  return absl::OkStatus();
}

}  // namespace mercato
