// One asynchronous gRPC call from an async route handler, on gRPC's callback API: nothing
// blocks, no thread waits. The request and response types are deduced from the stub method
// (rpc/call.h: CallUnaryAsync); the request's CallContext (request id, trace, caller) goes
// into the outgoing metadata and is installed again while the answer is rendered.
//
//   using CatalogAsync = catalog::v1::CatalogService::StubInterface::async_interface;
//   catalog::v1::GetProductRequest rpc;
//   rpc.set_id(id);
//   CallBackend(backends.catalog->async(), &CatalogAsync::GetProduct, std::move(rpc),
//               config.rpc_timeout,
//               [](const auto& product) {   // absl::StatusOr<catalog::v1::Product>
//                 return product.ok() ? JsonResponse(200, ProductText(*product))
//                                     : ErrorResponse(product.status());
//               },
//               std::move(respond));
#pragma once

#include <chrono>
#include <type_traits>
#include <utility>

#include "gateway/router.h"
#include "rpc/call.h"

namespace mercato::gateway {

// Answers with render(absl::StatusOr<Response>), exactly once.
template <typename Async, typename Request, typename Response, typename Render>
void CallBackend(std::type_identity_t<Async>* async,
                 AsyncUnaryMethod<Async, Request, Response> method,
                 std::type_identity_t<Request> request, std::chrono::milliseconds timeout,
                 Render render, Respond respond) {
  CallUnaryAsync<Async, Request, Response>(
      async, method, std::move(request), timeout,
      [render = std::move(render), respond = std::move(respond)](
          absl::StatusOr<Response> reply) mutable { respond(render(reply)); });
}

}  // namespace mercato::gateway
