#include "checkout/order_downstream.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "rpc/call.h"

namespace mercato::checkout {
namespace {

using CartStub = cart::v1::CartService::StubInterface;
using CatalogStub = catalog::v1::CatalogService::StubInterface;
using PaymentStub = payment::v1::PaymentService::StubInterface;

}  // namespace

std::string OrderDownstream::PaymentKeyFor(const std::string& order_id) {
  return absl::StrCat("checkout-order:", order_id);
}

absl::StatusOr<CartSnapshot> OrderDownstream::ReadCart() {
  auto cart = CallUnary(cart_, &CartStub::GetCart, cart::v1::GetCartRequest(), rpc_timeout_);
  if (!cart.ok()) return cart.status();
  CartSnapshot snapshot;
  snapshot.revision = cart->revision();
  snapshot.lines.reserve(cart->items_size());
  for (const auto& item : cart->items()) {
    snapshot.lines.push_back({.product_id = item.product_id(), .quantity = item.quantity()});
  }
  return snapshot;
}

void OrderDownstream::ClearCart(const v1::Order& order) {
  // Only what was bought leaves the cart: lines the shopper added while the order was being
  // placed stay there.
  cart::v1::ClearCartRequest request;
  for (const auto& item : order.items()) {
    auto* take = request.add_take();
    take->set_product_id(item.product_id());
    take->set_quantity(item.quantity());
  }
  auto cleared = CallUnary(cart_, &CartStub::ClearCart, request, rpc_timeout_);
  if (!cleared.ok()) {
    spdlog::warn("order {} is paid but taking its lines out of the cart failed: {}", order.id(),
                 cleared.status());
  }
}

absl::StatusOr<ProductLookup> OrderDownstream::LookupProducts(const std::vector<CartLine>& lines) {
  std::vector<std::string> ids;
  ids.reserve(lines.size());
  for (const CartLine& line : lines) ids.push_back(line.product_id);
  ProductLookup products;
  if (absl::Status s = CatalogClient(catalog_, rpc_timeout_).Lookup(ids, products); !s.ok()) {
    return s;
  }
  return products;
}

absl::Status OrderDownstream::ReserveStock(const OrderRecord& order) {
  catalog::v1::ReserveStockRequest request;
  request.set_reservation_id(order.order.id());
  request.set_ttl_seconds(static_cast<int32_t>(reservation_ttl_.count()));
  for (const auto& item : order.order.items()) {
    auto* r = request.add_items();
    r->set_product_id(item.product_id());
    r->set_quantity(item.quantity());
  }
  return CallUnary(catalog_, &CatalogStub::ReserveStock, request, rpc_timeout_).status();
}

absl::StatusOr<catalog::v1::Reservation> OrderDownstream::ReleaseStock(
    const std::string& order_id) {
  catalog::v1::ReleaseReservationRequest request;
  request.set_reservation_id(order_id);
  return CallUnary(catalog_, &CatalogStub::ReleaseReservation, request, rpc_timeout_);
}

absl::Status OrderDownstream::CommitStock(const std::string& order_id) {
  catalog::v1::CommitReservationRequest request;
  request.set_reservation_id(order_id);
  return CallUnary(catalog_, &CatalogStub::CommitReservation, request, rpc_timeout_).status();
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::Authorize(const OrderRecord& order,
                                                                const common::v1::Card& card) {
  payment::v1::AuthorizeRequest request;
  request.set_idempotency_key(PaymentKeyFor(order.order.id()));
  *request.mutable_amount() = order.order.total();
  *request.mutable_card() = card;
  request.set_order_id(order.order.id());
  return CallUnary(payment_, &PaymentStub::Authorize, request, rpc_timeout_);
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::GetPaymentOf(const std::string& order_id) {
  payment::v1::GetPaymentRequest request;
  request.set_idempotency_key(PaymentKeyFor(order_id));
  return CallUnary(payment_, &PaymentStub::GetPayment, request, rpc_timeout_);
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::Capture(const std::string& payment_id) {
  payment::v1::CaptureRequest request;
  request.set_payment_id(payment_id);
  return CallUnary(payment_, &PaymentStub::Capture, request, rpc_timeout_);
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::Void(const std::string& payment_id) {
  payment::v1::VoidRequest request;
  request.set_payment_id(payment_id);
  return CallUnary(payment_, &PaymentStub::Void, request, rpc_timeout_);
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::Refund(const std::string& payment_id) {
  payment::v1::RefundRequest request;
  request.set_payment_id(payment_id);
  return CallUnary(payment_, &PaymentStub::Refund, request, rpc_timeout_);
}

absl::StatusOr<catalog::v1::Reservation> OrderDownstream::ReturnStock(const std::string& order_id) {
  catalog::v1::ReturnStockRequest request;
  request.set_reservation_id(order_id);
  return CallUnary(catalog_, &CatalogStub::ReturnStock, request, rpc_timeout_);
}

absl::StatusOr<payment::v1::Payment> OrderDownstream::Refund(const std::string& payment_id,
                                                             const common::v1::Money& amount,
                                                             const std::string& idempotency_key) {
  payment::v1::RefundRequest request;
  request.set_payment_id(payment_id);
  *request.mutable_amount() = amount;
  request.set_idempotency_key(idempotency_key);
  return CallUnary(payment_, &PaymentStub::Refund, request, rpc_timeout_);
}

}  // namespace mercato::checkout
