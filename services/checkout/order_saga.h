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
//   OrderSaga saga(store, *catalog, *cart, *payment, metrics, {.rpc_timeout = ...});
//   absl::StatusOr<v1::Order> order = saga.PlaceOrder(user_id, request);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "checkout/checkout_metrics.h"
#include "checkout/checkout_store.h"
#include "checkout/pricing.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/payment/v1/payment.grpc.pb.h"

namespace mercato::checkout {

inline constexpr size_t kMaxIdempotencyKeyLength = 255;
inline constexpr size_t kMaxFingerprintLength = 128;

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
};

class OrderSaga {
 public:
  OrderSaga(CheckoutStore& store, catalog::v1::CatalogService::StubInterface& catalog,
            cart::v1::CartService::StubInterface& cart,
            payment::v1::PaymentService::StubInterface& payment, CheckoutMetrics& metrics,
            SagaOptions options)
      : store_(store),
        catalog_(catalog),
        cart_(cart),
        payment_(payment),
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
  static std::string PaymentKeyFor(const std::string& order_id);
  // The error a failed order answers with (again, to every repeat of its request).
  static absl::Status FailureOf(const OrderRecord& order);

 private:
  struct Failure {
    std::string code;
    absl::StatusCode status = absl::StatusCode::kAborted;
    std::string message;
  };

  // Request validation; nothing is recorded for a malformed request. Returns the shipping
  // address normalised (mercato::NormaliseAddress, the rule of saved addresses too).
  static absl::StatusOr<common::v1::Address> Validate(const v1::PlaceOrderRequest& request);
  // The first outcome of (user, key) for a repeat with `fingerprint`.
  static absl::StatusOr<v1::Order> Replay(const OrderRecord& order, const std::string& fingerprint);

  // The shopper's cart: what is in it, and the revision (cart.v1.Cart.revision) it is at.
  struct CartSnapshot {
    std::vector<CartLine> lines;
    std::string revision;
  };
  absl::StatusOr<CartSnapshot> ReadCart();
  absl::Status FetchProducts(const std::vector<CartLine>& lines,
                             std::unordered_map<std::string, catalog::v1::Product>& products);
  // Steps after the order is recorded, with the card.
  absl::StatusOr<v1::Order> Forward(OrderRecord order, const std::string& lease_owner,
                                    const common::v1::Card& card);
  // Settles an order whose forward path hit something unexpected; the answer to the request.
  absl::StatusOr<v1::Order> Abandon(OrderRecord order, const std::string& lease_owner,
                                    const absl::Status& cause);
  // Leaves the order to recovery without asking the backend that just failed to answer again
  // (payment hung or down: a second call would only double the shopper's wait); 503
  // order_pending.
  absl::Status Postpone(const OrderRecord& order, const std::string& lease_owner,
                        const absl::Status& cause);
  // 503 order_pending with Retry-After: the outcome is settled later.
  absl::Status OrderPending() const;
  // After Advance() said lease_lost: someone else drives the order now.
  absl::Status LeaseLost(const OrderRecord& order, const std::string& authorized_payment_id);
  // Releases the stock, then records the failure. Used on the forward path for definite
  // refusals.
  absl::StatusOr<v1::Order> FailForward(OrderRecord order, const std::string& lease_owner,
                                        Failure failure, bool release_stock);

  Resolution Paid(OrderRecord order, const std::string& lease_owner, Driver driver);
  Resolution Failed(OrderRecord order, const std::string& lease_owner, const Failure& failure,
                    const std::string& detail, Driver driver);

  // The other services, each call bounded by rpc_timeout.
  absl::Status ReserveStock(const OrderRecord& order);
  absl::StatusOr<catalog::v1::Reservation> ReleaseStock(const std::string& order_id);
  absl::Status CommitStock(const std::string& order_id);
  absl::StatusOr<payment::v1::Payment> Authorize(const OrderRecord& order,
                                                 const common::v1::Card& card);
  absl::StatusOr<payment::v1::Payment> GetPaymentOf(const std::string& order_id);
  absl::StatusOr<payment::v1::Payment> Capture(const std::string& payment_id);
  absl::StatusOr<payment::v1::Payment> Void(const std::string& payment_id);
  absl::StatusOr<payment::v1::Payment> Refund(const std::string& payment_id);
  // Takes the order's lines out of the shopper's cart; a failure is logged, not returned.
  void ClearCart(const v1::Order& order);

  CheckoutStore& store_;
  catalog::v1::CatalogService::StubInterface& catalog_;
  cart::v1::CartService::StubInterface& cart_;
  payment::v1::PaymentService::StubInterface& payment_;
  CheckoutMetrics& metrics_;
  const SagaOptions options_;
};

}  // namespace mercato::checkout
