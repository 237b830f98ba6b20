// One asynchronous gRPC call from an async route handler, on gRPC's callback API: nothing
// blocks, no thread waits. The request's CallContext (request id, trace, caller) is captured
// for the outgoing metadata and reinstalled while the response is rendered.
//
//   CallBackend<catalog::v1::GetProductRequest, catalog::v1::Product>(
//       config.rpc_timeout,
//       [&](auto& call) { call.request.set_id(id); },
//       [&](auto& call, auto done) {
//         backends.catalog->async()->GetProduct(&call.ctx, &call.request, &call.response, done);
//       },
//       [](const absl::Status& status, catalog::v1::Product& product) {
//         return status.ok() ? JsonResponse(200, ProductJson(product)) : ErrorResponse(status);
//       },
//       std::move(respond));
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <functional>
#include <memory>

#include "common/call_context.h"
#include "gateway/router.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato::gateway {

template <typename Request, typename Response>
struct BackendCall {
  std::unique_ptr<grpc::ClientContext> ctx;
  Request request;
  Response response;
  CallContext call;
};

template <typename Request, typename Response, typename Prepare, typename Start, typename Render>
void CallBackend(std::chrono::milliseconds timeout, Prepare prepare, Start start, Render render,
                 Respond respond) {
  auto call = std::make_shared<BackendCall<Request, Response>>();
  call->ctx = NewClientContext(timeout);
  call->call = CurrentCall();
  prepare(*call);
  start(*call, [call, render = std::move(render),
                respond = std::move(respond)](grpc::Status status) {
    ScopedCallContext scope(call->call);
    respond(render(FromGrpcStatus(status), call->response));
  });
}

}  // namespace mercato::gateway
