// The services the order saga calls, one method per call, each bounded by rpc_timeout and
// carrying the current call's user (rpc/call.h). No rules here: what an answer means is the
// saga's (order_saga.h) and order_rules.h's.
//
//   OrderDownstream downstream(*catalog, *cart, *payment, {.rpc_timeout = ...});
//   auto cart = downstream.ReadCart();
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog_client/catalog_client.h"
#include "checkout/checkout_store.h"
#include "checkout/pricing.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/payment/v1/payment.grpc.pb.h"

namespace mercato::checkout {

// The shopper's cart: what is in it, and the revision (cart.v1.Cart.revision) it is at.
struct CartSnapshot {
  std::vector<CartLine> lines;
  std::string revision;
};

class OrderDownstream {
 public:
  OrderDownstream(catalog::v1::CatalogService::StubInterface& catalog,
                  cart::v1::CartService::StubInterface& cart,
                  payment::v1::PaymentService::StubInterface& payment,
                  std::chrono::milliseconds rpc_timeout, std::chrono::seconds reservation_ttl)
      : catalog_(catalog),
        cart_(cart),
        payment_(payment),
        rpc_timeout_(rpc_timeout),
        reservation_ttl_(reservation_ttl) {}

  // The payment idempotency key of an order: one authorization per order, ever.
  static std::string PaymentKeyFor(const std::string& order_id);

  // cart
  absl::StatusOr<CartSnapshot> ReadCart();
  // Takes the order's lines out of the shopper's cart; a failure is logged, not returned.
  void ClearCart(const v1::Order& order);

  // catalog (the reservation id is the order id)
  absl::StatusOr<ProductLookup> LookupProducts(const std::vector<CartLine>& lines);
  absl::Status ReserveStock(const OrderRecord& order);
  absl::StatusOr<catalog::v1::Reservation> ReleaseStock(const std::string& order_id);
  absl::Status CommitStock(const std::string& order_id);
  // A committed reservation's stock back on hand (a cancelled order): idempotent.
  absl::StatusOr<catalog::v1::Reservation> ReturnStock(const std::string& order_id);

  // payment
  absl::StatusOr<payment::v1::Payment> Authorize(const OrderRecord& order,
                                                 const common::v1::Card& card);
  absl::StatusOr<payment::v1::Payment> GetPaymentOf(const std::string& order_id);
  absl::StatusOr<payment::v1::Payment> Capture(const std::string& payment_id);
  absl::StatusOr<payment::v1::Payment> Void(const std::string& payment_id);
  absl::StatusOr<payment::v1::Payment> Refund(const std::string& payment_id);
  // A partial refund, idempotent per (payment, key): a repeat moves no money again.
  absl::StatusOr<payment::v1::Payment> Refund(const std::string& payment_id,
                                              const common::v1::Money& amount,
                                              const std::string& idempotency_key);

 private:
  catalog::v1::CatalogService::StubInterface& catalog_;
  cart::v1::CartService::StubInterface& cart_;
  payment::v1::PaymentService::StubInterface& payment_;
  const std::chrono::milliseconds rpc_timeout_;
  const std::chrono::seconds reservation_ttl_;
};

}  // namespace mercato::checkout
