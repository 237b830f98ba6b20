// One unary call to another service, typed by the stub method: the request and response types
// are deduced from it, so a call site names the method once. Each call gets its own
// ClientContext from NewClientContext (rpc/client.h): the deadline (never past the incoming
// call's), request id, trace and user of CurrentCall(); the channel adds the service token.
// The grpc::Status is converted once, here (rpc/status_conversion.h).
//
// Blocking, from a handler that may block (RunBlocking, a saga, a recovery pass):
//
//   catalog::v1::GetProductRequest request;
//   request.set_id(id);
//   absl::StatusOr<catalog::v1::Product> product =
//       mercato::CallUnary(stub, &catalog::v1::CatalogService::StubInterface::GetProduct,
//                          request, config.rpc_timeout);
//
// Asynchronous, on gRPC's callback API (nothing blocks; `done` runs on a gRPC thread with the
// caller's CallContext installed again):
//
//   mercato::CallUnaryAsync(stub.async(), &CatalogAsync::GetProduct, std::move(request),
//                           config.rpc_timeout,
//                           [](absl::StatusOr<catalog::v1::Product> product) { ... });
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "common/call_context.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato {

// A blocking stub method: grpc::Status Stub::M(ClientContext*, const Request&, Response*).
template <typename Stub, typename Request, typename Response>
using UnaryMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

// A callback-API stub method: void Async::M(ClientContext*, const Request*, Response*,
// std::function<void(grpc::Status)>).
template <typename Async, typename Request, typename Response>
using AsyncUnaryMethod = void (Async::*)(grpc::ClientContext*, const Request*, Response*,
                                         std::function<void(grpc::Status)>);

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallUnary(std::type_identity_t<Stub>& stub,
                                   UnaryMethod<Stub, Request, Response> method,
                                   const std::type_identity_t<Request>& request,
                                   std::chrono::milliseconds timeout) {
  Response response;
  auto ctx = NewClientContext(timeout);
  absl::Status status = FromGrpcStatus((stub.*method)(ctx.get(), request, &response));
  if (!status.ok()) return status;
  return response;
}

// `done(absl::StatusOr<Response>)` is called exactly once, with CurrentCall() as it was when
// the call started.
template <typename Async, typename Request, typename Response, typename Done>
void CallUnaryAsync(std::type_identity_t<Async>* async,
                    AsyncUnaryMethod<Async, Request, Response> method,
                    std::type_identity_t<Request> request, std::chrono::milliseconds timeout,
                    Done done) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> ctx;
    Request request;
    Response response;
    CallContext caller;
  };
  auto call = std::make_shared<Call>(
      Call{NewClientContext(timeout), std::move(request), Response(), CurrentCall()});
  (async->*method)(call->ctx.get(), &call->request, &call->response,
                   [call, done = std::move(done)](grpc::Status status) mutable {
                     ScopedCallContext scope(call->caller);
                     absl::Status converted = FromGrpcStatus(status);
                     if (!converted.ok()) return done(absl::StatusOr<Response>(converted));
                     done(absl::StatusOr<Response>(std::move(call->response)));
                   });
}

}  // namespace mercato
