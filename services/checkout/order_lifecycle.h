// An order's life after payment (docs/orders.md): the shopper's cancellation, an admin's
// refunds and the fulfillment service's stages, each driven across crashes.
//
// Cancel (CancelOrder), each step recorded before the next starts:
//   BeginCancel: CANCELLING (+ timeline), the uncaptured rest reserved as cancel_amount
//   -> payment Refund(cancel_amount, key "cancel")        -> cancel step "refunded"
//   -> catalog ReturnStock(order id)                        -> cancel step "returned"
//   -> FinishCancel: CANCELLED (+ timeline, OrderCancelled), once.
// Both calls are idempotent, so a step repeated after a crash moves nothing twice; a step
// that fails leaves the order CANCELLING (the request still returns it) and recovery
// (RecoverOnce, from StalledOrderRecovery) picks it up once its lease runs out.
//
// Refund (RefundOrder): BeginRefund reserves the amount under the order's row lock (pending)
// -> payment Refund(amount, key "refund:" + key) -> CompleteRefund (status, timeline,
// OrderRefunded), once. A definite refusal of the payment service fails the refund (its
// reservation given back); an outage leaves it pending for a repeat or for recovery
// (UNAVAILABLE "refund_pending").
//
// RecordFulfillment: one conditional change under the row lock (the store).
//
// Crash points (libs/common/fault_injection.h): checkout.cancel_after_begin,
// checkout.cancel_after_refund, checkout.cancel_after_refund_recorded,
// checkout.cancel_after_return, checkout.cancel_after_return_recorded.
//
//   OrderLifecycle lifecycle(store, *catalog, *cart, *payment, {.rpc_timeout = ...});
//   absl::StatusOr<v1::Order> order = lifecycle.Cancel(user_id, order_id);
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checkout/checkout_store.h"
#include "checkout/order_downstream.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::checkout {

struct LifecycleOptions {
  std::chrono::milliseconds rpc_timeout{3000};
  // How long a request owns the cancellation or refund it started before recovery may take it
  // over (CheckoutConfig::lease).
  absl::Duration lease = absl::Seconds(30);
  int recovery_batch = 20;
};

class OrderLifecycle {
 public:
  OrderLifecycle(CheckoutStore& store, catalog::v1::CatalogService::StubInterface& catalog,
                 cart::v1::CartService::StubInterface& cart,
                 payment::v1::PaymentService::StubInterface& payment, LifecycleOptions options)
      : store_(store),
        downstream_(catalog, cart, payment, options.rpc_timeout, std::chrono::seconds(0)),
        options_(options) {}

  // CancelOrder for `user_id` (checkout.proto): NOT_FOUND "order_not_found" for another's.
  absl::StatusOr<v1::Order> Cancel(const std::string& user_id, const std::string& order_id);
  // RefundOrder (the caller's admin role is the handler's to check).
  absl::StatusOr<v1::Order> Refund(const v1::RefundOrderRequest& request);
  // RecordFulfillment (the caller is the handler's to check).
  absl::StatusOr<v1::Order> RecordFulfillment(const v1::RecordFulfillmentRequest& request);

  // One recovery pass: finishes the cancellations and refunds whose lease ran out. Returns
  // how many it finished.
  absl::StatusOr<int> RecoverOnce();

  // The payment idempotency keys.
  static constexpr char kCancelRefundKey[] = "cancel";
  static constexpr size_t kMaxPaymentKeyLength = 255;
  // "refund:" + the admin's key (shortened with a hash beyond 255 characters).
  static std::string RefundKeyFor(const std::string& idempotency_key);

 private:
  // Runs the cancellation's remaining steps; OK once CANCELLED.
  absl::Status DriveCancel(const OrderRecord& order);
  absl::Status RefundForCancel(const OrderRecord& order);
  absl::Status ReturnForCancel(const OrderRecord& order);
  // Asks payment for `refund` and records the outcome; the order once completed.
  absl::StatusOr<OrderRecord> DriveRefund(const RefundRecord& refund);
  // The order as GetOrder shows it (timeline included).
  absl::StatusOr<v1::Order> Current(const std::string& order_id);

  CheckoutStore& store_;
  OrderDownstream downstream_;
  const LifecycleOptions options_;
};

}  // namespace mercato::checkout
