// gRPC handlers of mercato.checkout.v1.CheckoutService. The Do* methods hold the logic and
// are what unit tests call; every RPC touches PostgreSQL (and PlaceOrder the other
// services), so all run on the executor.
//
//   PlaceOrder  the saga (order_saga.h) for the signed-in caller.
//   GetOrder    the caller's order with its history; NOT_FOUND "order_not_found" for an id
//               that is not theirs (whether or not it exists).
//   ListOrders  the caller's orders, newest first; keyset pagination with an opaque
//               page_token. INVALID_ARGUMENT "invalid_page_size" / "invalid_page_token".
//   CancelOrder, RefundOrder, RecordFulfillment  the lifecycle after payment
//               (order_lifecycle.h).
// Who may call what: the gateway every RPC but RecordFulfillment, which only the fulfillment
// service may call (PERMISSION_DENIED otherwise); RefundOrder needs an admin's access token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "checkout/checkout_store.h"
#include "checkout/order_lifecycle.h"
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
  CheckoutService(CheckoutStore& store, OrderSaga& saga, OrderLifecycle& lifecycle,
                  BoundedExecutor& executor)
      : store_(store), saga_(saga), lifecycle_(lifecycle), executor_(executor) {}

  absl::Status DoPlaceOrder(const v1::PlaceOrderRequest& request, v1::Order* response);
  absl::Status DoGetOrder(const v1::GetOrderRequest& request, v1::Order* response);
  absl::Status DoListOrders(const v1::ListOrdersRequest& request, v1::ListOrdersResponse* response);
  absl::Status DoCancelOrder(const v1::CancelOrderRequest& request, v1::Order* response);
  absl::Status DoRefundOrder(const v1::RefundOrderRequest& request, v1::Order* response);
  absl::Status DoRecordFulfillment(const v1::RecordFulfillmentRequest& request,
                                   v1::Order* response);

  grpc::ServerUnaryReactor* PlaceOrder(grpc::CallbackServerContext* ctx,
                                       const v1::PlaceOrderRequest* request,
                                       v1::Order* response) override;
  grpc::ServerUnaryReactor* GetOrder(grpc::CallbackServerContext* ctx,
                                     const v1::GetOrderRequest* request,
                                     v1::Order* response) override;
  grpc::ServerUnaryReactor* ListOrders(grpc::CallbackServerContext* ctx,
                                       const v1::ListOrdersRequest* request,
                                       v1::ListOrdersResponse* response) override;
  grpc::ServerUnaryReactor* CancelOrder(grpc::CallbackServerContext* ctx,
                                        const v1::CancelOrderRequest* request,
                                        v1::Order* response) override;
  grpc::ServerUnaryReactor* RefundOrder(grpc::CallbackServerContext* ctx,
                                        const v1::RefundOrderRequest* request,
                                        v1::Order* response) override;
  grpc::ServerUnaryReactor* RecordFulfillment(grpc::CallbackServerContext* ctx,
                                              const v1::RecordFulfillmentRequest* request,
                                              v1::Order* response) override;

 private:
  CheckoutStore& store_;
  OrderSaga& saga_;
  OrderLifecycle& lifecycle_;
  BoundedExecutor& executor_;
};

}  // namespace mercato::checkout
