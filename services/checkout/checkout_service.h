// gRPC handlers of mercato.checkout.v1.CheckoutService. The Do* methods hold the logic and
// are what unit tests call; every RPC touches PostgreSQL (and PlaceOrder the other
// services), so all run on the executor.
//
//   PlaceOrder  the saga (order_saga.h) for the signed-in caller.
//   GetOrder    the caller's order with its history; NOT_FOUND "order_not_found" for an id
//               that is not theirs (whether or not it exists).
//   ListOrders  the caller's orders, newest first; keyset pagination with an opaque
//               page_token. INVALID_ARGUMENT "invalid_page_size" / "invalid_page_token".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "checkout/checkout_store.h"
#include "checkout/order_saga.h"
#include "common/executor.h"
#include "common/limits.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"

namespace mercato::checkout {

// page_token <-> the seq of the last order of the previous page.
std::string EncodePageToken(int64_t seq);
std::optional<int64_t> DecodePageToken(const std::string& token);

class CheckoutService final : public v1::CheckoutService::CallbackService {
 public:
  CheckoutService(CheckoutStore& store, OrderSaga& saga, BoundedExecutor& executor)
      : store_(store), saga_(saga), executor_(executor) {}

  absl::Status DoPlaceOrder(const v1::PlaceOrderRequest& request, v1::Order* response);
  absl::Status DoGetOrder(const v1::GetOrderRequest& request, v1::Order* response);
  absl::Status DoListOrders(const v1::ListOrdersRequest& request, v1::ListOrdersResponse* response);

  grpc::ServerUnaryReactor* PlaceOrder(grpc::CallbackServerContext* ctx,
                                       const v1::PlaceOrderRequest* request,
                                       v1::Order* response) override;
  grpc::ServerUnaryReactor* GetOrder(grpc::CallbackServerContext* ctx,
                                     const v1::GetOrderRequest* request,
                                     v1::Order* response) override;
  grpc::ServerUnaryReactor* ListOrders(grpc::CallbackServerContext* ctx,
                                       const v1::ListOrdersRequest* request,
                                       v1::ListOrdersResponse* response) override;

 private:
  CheckoutStore& store_;
  OrderSaga& saga_;
  BoundedExecutor& executor_;
};

}  // namespace mercato::checkout
