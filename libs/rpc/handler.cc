#include "rpc/handler.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"
#include "rpc/call_auth.h"
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
  if (call.request_id.empty()) call.request_id = NewRequestId();
  call.traceparent = Metadata(ctx, kTraceparentKey);
  if (!IsValidTraceparent(call.traceparent)) call.traceparent = NewTraceparent();
  call.trace_id = TraceIdOf(call.traceparent);
  call.deadline = ctx.deadline();
  return call;
}

absl::Status AuthenticateCall(const grpc::CallbackServerContext& ctx, CallContext& call) {
  std::shared_ptr<const CallAuthenticator> authenticator = InstalledCallAuthenticator();
  absl::Status status = authenticator == nullptr
                            ? absl::UnauthenticatedError("this service cannot authenticate callers")
                            : authenticator->Authenticate(ctx.client_metadata(),
                                                          std::chrono::system_clock::now(), call);
  if (!status.ok()) {
    ScopedCallContext scope(call);  // the refusal is logged with the request id
    spdlog::debug("call refused: {}", status);
  }
  return status;
}

namespace {

// Outcomes that are the caller's business (bad input, not found, not allowed), not worth a
// warning in this service's log.
bool IsExpectedOutcome(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

// The part of RunBlocking that runs on the executor: authentication (a signature check when
// the caller's token is new, about a millisecond: kept off gRPC's own threads), then `work`.
absl::Status AuthenticateAndRun(grpc::CallbackServerContext* ctx, CallContext call,
                                const std::function<absl::Status()>& work) {
  absl::Status authenticated = AuthenticateCall(*ctx, call);
  ScopedCallContext scope(std::move(call));
  if (!authenticated.ok()) return authenticated;
  if (std::chrono::system_clock::now() >= CurrentCall().deadline) {
    return absl::DeadlineExceededError("deadline passed before the call started");
  }
  if (ctx->IsCancelled()) return absl::CancelledError();
  absl::Status status;
  try {
    status = work();
  } catch (const std::exception& e) {
    // Handlers return statuses; an exception here is a bug. Do not take the process down
    // with it, and do not echo the exception text to the caller.
    spdlog::error("unhandled exception in handler: {}", e.what());
    status = absl::InternalError("internal error");
  }
  if (!IsExpectedOutcome(status)) spdlog::warn("call failed: {}", status.ToString());
  return status;
}

}  // namespace

grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* ctx, BoundedExecutor& executor,
                                      std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const bool accepted = executor.TrySubmit(
      [reactor, ctx, call = CallContextFromServer(*ctx), work = std::move(work)]() mutable {
        reactor->Finish(ToGrpcStatus(AuthenticateAndRun(ctx, std::move(call), work)));
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
  CallContext call = CallContextFromServer(*ctx);
  if (absl::Status s = AuthenticateCall(*ctx, call); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  ScopedCallContext scope(std::move(call));
  reactor->Finish(ToGrpcStatus(work()));
  return reactor;
}

absl::Status RequireCaller(std::initializer_list<absl::string_view> services) {
  const std::string& caller = CurrentCall().caller;
  for (absl::string_view service : services) {
    if (caller == service) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("this call is not open to ", caller.empty() ? "unknown callers" : caller));
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

std::string UserActedFor(std::initializer_list<absl::string_view> trusted) {
  const CallContext& call = CurrentCall();
  if (!call.user_id.empty()) return call.user_id;
  for (absl::string_view service : trusted) {
    if (!call.caller.empty() && call.caller == service) return call.on_behalf_of;
  }
  return "";
}

}  // namespace mercato
