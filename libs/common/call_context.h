// What the code handling one request knows about it: ids for logs and traces, the verified
// caller, and the deadline. The gateway creates it from the HTTP request; gRPC services from
// the incoming metadata, authenticated (rpc/call_auth.h). It is held in a thread-local while the
// request is handled, so logs and outgoing RPCs pick it up without threading it through every call:
//
//   mercato::ScopedCallContext scope(context);   // for the duration of the handler
//   mercato::CurrentCall().user_id;               // anywhere below
#pragma once

#include <chrono>
#include <string>

namespace mercato {

// gRPC metadata keys (lower case, as gRPC requires).
inline constexpr char kRequestIdKey[] = "x-request-id";
inline constexpr char kTraceparentKey[] = "traceparent";
// The calling service's token (auth/service_token.h), on every call between services.
inline constexpr char kServiceTokenKey[] = "x-mercato-service-token";
// "Bearer <access token>": the shopper's own token, forwarded by the gateway.
inline constexpr char kAuthorizationKey[] = "authorization";
// The user a service acts for on its own behalf (checkout's saga and recovery); believed only
// by callees that trust that caller for it.
inline constexpr char kOnBehalfOfKey[] = "x-mercato-on-behalf-of";

struct CallContext {
  std::string request_id;
  // W3C trace context: the whole traceparent header and its trace id (32 hex digits).
  std::string traceparent;
  std::string trace_id;
  // The service that made this call, from its verified service token; empty in the gateway.
  std::string caller;
  // The shopper, set only from a verified access token; role "customer" or "admin".
  std::string user_id;
  std::string user_role;
  // The access token itself, which the gateway forwards to backends; empty in backends.
  std::string access_token;
  // The user `caller` says it acts for (x-mercato-on-behalf-of), not verified: only a handler
  // that trusts that caller for it may use it (rpc/handler.h: UserActedFor).
  std::string on_behalf_of;
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
};

// The context of the request this thread is handling; an empty one outside any request.
const CallContext& CurrentCall();

// Installs a context for the current thread and restores the previous one on destruction.
class ScopedCallContext {
 public:
  explicit ScopedCallContext(CallContext context);
  ~ScopedCallContext();
  ScopedCallContext(const ScopedCallContext&) = delete;
  ScopedCallContext& operator=(const ScopedCallContext&) = delete;

 private:
  CallContext previous_;
};

// A valid W3C traceparent ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>")?
bool IsValidTraceparent(const std::string& traceparent);
// Starts a new trace: a fresh traceparent with random ids, sampled flag set.
std::string NewTraceparent();
// The trace id part of a valid traceparent.
std::string TraceIdOf(const std::string& traceparent);
// A traceparent continuing `parent`'s trace with a new span id (for an outgoing call).
std::string ChildTraceparent(const std::string& parent);

}  // namespace mercato
