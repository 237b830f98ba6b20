// The PlaceOrder saga and its recovery: turns a cart into a paid order, or into a failed one
// with nothing held and nothing charged, across crashes of any process involved.
//
// Forward path (PlaceOrder), each step's outcome recorded before the next starts:
//   read the cart -> price every line from the catalog (BatchGetProducts; the cart's and the
//   client's prices are never used) -> record the order (step priced; the (user, key) claim,
//   and the cart revision's: while another order of the same cart revision is pending the
//   answer is 409 cart_checkout_in_progress, once it is paid 409 cart_already_ordered)
//   -> ReserveStock(reservation id = order id) -> reserved -> payment Authorize (idempotency
//   key PaymentKeyFor(order id)) -> authorized -> Capture -> captured -> CommitReservation
//   -> paid -> take the ordered lines out of the cart (best effort; what the shopper added
//   meanwhile stays).
// Definite refusals on the way fail the order with their code, after compensating:
//   out_of_stock (nothing held), invalid_card / card_expired (stock released),
//   payment_declined / insufficient_funds (stock released).
//
// Fail fast: while the payment client's circuit breaker is open (payment_available), a new
// request is refused with 503 service_unavailable before anything is recorded or reserved;
// a ReserveStock that our own breaker or bulkhead refused (never sent, see rpc/resilience.h)
// fails the order at once as checkout_interrupted; such an Authorize gives the stock back at
// once and leaves the order to Resolve() like any payment outage (503 order_pending).
//
// Anything else (a dependency unavailable, a timeout, a crash) is settled by Resolve(), at
// once by the request or later by recovery (StalledOrderRecovery), without the card: the
// payment's state, read back by idempotency key, decides.
//   no payment       stock released; FAILED "checkout_interrupted". "No payment" is believed
//                    only payment_grace after the step that may have sent Authorize: a call
//                    still running in the payment service could otherwise land later.
//   declined         stock released; FAILED with the decline code.
//   authorized /     voided, stock released; FAILED "checkout_interrupted" (only money that
//   pending          moved rolls forward; a pending payment's void cancels whatever the
//                    processor authorized for it).
//   captured         ROLLS FORWARD: CommitReservation, then PAID. If the reservation can no
//                    longer be committed (it expired or was released), the payment is
//                    refunded and the order FAILED "reservation_expired".
//   voided/refunded  stock released; FAILED "checkout_interrupted".
// A dependency that does not answer leaves the order pending with its lease given up, and
// recovery tries again on its next pass. Every compensation is idempotent, so repeating a
// half-done resolution is safe.
//
// The calls to the other services are OrderDownstream's (order_downstream.h); the rules
// (validation, replay, which refusal becomes which failure) are order_rules.h's.
//
//   OrderSaga saga(store, *catalog, *cart, *payment, metrics, {.rpc_timeout = ...});
//   absl::StatusOr<v1::Order> order = saga.PlaceOrder(user_id, request);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "checkout/checkout_metrics.h"
#include "checkout/checkout_store.h"
#include "checkout/order_downstream.h"
#include "checkout/order_rules.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/payment/v1/payment.grpc.pb.h"

namespace mercato::checkout {

struct SagaOptions {
  // Deadline of each outgoing RPC.
  std::chrono::milliseconds rpc_timeout{3000};
  // ReserveStock ttl_seconds.
  std::chrono::seconds reservation_ttl{900};
  // See CheckoutConfig.
  absl::Duration lease = absl::Seconds(30);
  absl::Duration payment_grace = absl::Seconds(10);
  // OK when payment calls would be let through now; UNAVAILABLE (with a Retry-After hint)
  // while the payment client's circuit breaker is open. Unset: always OK.
  std::function<absl::Status()> payment_available;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// Who drives an order: the PlaceOrder request that created it, or a recovery pass.
enum class Driver { kRequest, kRecovery };

struct Resolution {
  // Terminal (kPaid / kFailed), or still pending.
  OrderRecord record;
  // Why the order is still pending; OK when it is terminal.
  absl::Status pending_cause;
  // The order is pending because its lease was lost: someone else drives it now.
  bool lease_lost = false;
};

class OrderSaga {
 public:
  OrderSaga(CheckoutStore& store, catalog::v1::CatalogService::StubInterface& catalog,
            cart::v1::CartService::StubInterface& cart,
            payment::v1::PaymentService::StubInterface& payment, CheckoutMetrics& metrics,
            SagaOptions options)
      : store_(store),
        downstream_(catalog, cart, payment, options.rpc_timeout, options.reservation_ttl),
        metrics_(metrics),
        options_(std::move(options)) {}

  // PlaceOrder for `user_id` (see checkout.proto for the contract). Runs the whole saga in
  // the calling thread; outgoing calls are bounded by rpc_timeout each, not by the caller's
  // deadline, so that a caller giving up never leaves a saga half-compensated.
  absl::StatusOr<v1::Order> PlaceOrder(const std::string& user_id,
                                       const v1::PlaceOrderRequest& request);

  // Drives pending `order`, whose lease `lease_owner` holds, to a terminal state as far as the
  // other services answer (the rules above).
  Resolution Resolve(OrderRecord order, const std::string& lease_owner, Driver driver);

  // The payment idempotency key of an order: one authorization per order, ever.
  static std::string PaymentKeyFor(const std::string& order_id) {
    return OrderDownstream::PaymentKeyFor(order_id);
  }
  // The error a failed order answers with (again, to every repeat of its request).
  static absl::Status FailureOf(const OrderRecord& order) { return checkout::FailureOf(order); }

 private:
  // The request's answer when a forward step ends the saga; nullopt to go on.
  using Answer = std::optional<absl::StatusOr<v1::Order>>;
  // The order on its forward path, held under `lease_owner`'s lease.
  struct ForwardRun {
    OrderRecord order;
    const std::string& lease_owner;
    std::string payment_id;  // once authorized
  };
  // An order being settled by Resolve, and what has been learnt and done so far.
  struct Settlement {
    OrderRecord order;
    const std::string& lease_owner;
    Driver driver;
    std::optional<payment::v1::Payment> payment;
    std::optional<OrderFailure> failure;
    std::string detail;
  };

  // The order as first recorded: priced (step priced), or failed by a pricing refusal.
  absl::StatusOr<OrderRecord> Draft(const std::string& user_id,
                                    const v1::PlaceOrderRequest& request,
                                    common::v1::Address address);
  // Records `draft` under a new lease and runs it forward, or answers a repeat.
  absl::StatusOr<v1::Order> Start(OrderRecord draft, const v1::PlaceOrderRequest& request);

  // The forward path after the order is recorded, with the card: its steps in order.
  absl::StatusOr<v1::Order> Forward(OrderRecord order, const std::string& lease_owner,
                                    const common::v1::Card& card);
  Answer ReserveStock(ForwardRun& run);
  Answer AuthorizePayment(ForwardRun& run, const common::v1::Card& card);
  Answer CapturePayment(ForwardRun& run);
  absl::StatusOr<v1::Order> CompleteOrder(ForwardRun& run);
  // Records a step (CheckoutStore::Advance); on failure, the answer.
  Answer Record(ForwardRun& run, const StepUpdate& update);

  // Settles an order whose forward path hit something unexpected; the answer to the request.
  absl::StatusOr<v1::Order> Abandon(OrderRecord order, const std::string& lease_owner,
                                    const absl::Status& cause);
  // Leaves the order to recovery without asking the backend that just failed to answer again
  // (payment hung or down: a second call would only double the shopper's wait); 503
  // order_pending.
  absl::Status Postpone(const OrderRecord& order, const std::string& lease_owner,
                        const absl::Status& cause);
  // After a lost lease: someone else drives the order now. `authorized_payment_id`: the
  // authorization this request was recording, voided if the order failed meanwhile.
  absl::Status LeaseLost(const OrderRecord& order, const std::string& authorized_payment_id);
  // Releases the stock, then records the failure. Used on the forward path for definite
  // refusals.
  absl::StatusOr<v1::Order> FailForward(OrderRecord order, const std::string& lease_owner,
                                        const OrderFailure& failure, bool release_stock);

  // Resolve's parts: what the payment service knows; the roll forward of a captured payment
  // (nullopt after a refund: compensate); the compensations and the failure.
  absl::Status FindPayment(Settlement& s);
  std::optional<Resolution> RollForward(Settlement& s);
  Resolution Compensate(Settlement& s);
  // Gives up the lease: the order stays pending for recovery.
  Resolution StillPending(Settlement& s, absl::Status cause);

  Resolution Paid(OrderRecord order, const std::string& lease_owner, Driver driver);
  Resolution Failed(OrderRecord order, const std::string& lease_owner, const OrderFailure& failure,
                    const std::string& detail, Driver driver);

  CheckoutStore& store_;
  OrderDownstream downstream_;
  CheckoutMetrics& metrics_;
  const SagaOptions options_;
};

}  // namespace mercato::checkout
