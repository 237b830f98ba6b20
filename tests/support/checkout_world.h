// A small simulation of the services the checkout saga calls, behind gMock stubs: a catalog
// with stock and reservations (all or nothing, idempotent per id, tombstones), a cart, and a
// payment service with idempotency keys and its state machine. Faults can be injected per
// method: fail before acting, or act and lose the reply (what a timeout or a crash looks
// like to the caller). Shared by the saga's unit tests and the integration test of the
// checkout store (which runs the saga on PostgreSQL).
#pragma once

#include <gmock/gmock.h>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "mercato/cart/v1/cart_mock.grpc.pb.h"
#include "mercato/catalog/v1/catalog_mock.grpc.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/payment/v1/payment_mock.grpc.pb.h"
#include "rpc/status_conversion.h"

namespace mercato::checkout {

class World {
 public:
  struct Fault {
    absl::Status status;
    // Act first, then answer with `status` (the reply is lost).
    bool after_acting = false;
  };
  struct Reservation {
    std::string state;  // held, committed, released, expired
    std::map<std::string, int> items;
  };

  ::testing::NiceMock<catalog::v1::MockCatalogServiceStub> catalog;
  ::testing::NiceMock<cart::v1::MockCartServiceStub> cart;
  ::testing::NiceMock<payment::v1::MockPaymentServiceStub> payment;

  std::map<std::string, catalog::v1::Product> products;
  std::map<std::string, Reservation> reservations;
  std::vector<std::pair<std::string, int>> cart_lines;
  // The revision GetCart answers with; ClearCart gives the cart a new one.
  std::string cart_revision = "revision-1";
  std::map<std::string, payment::v1::Payment> payments;  // by idempotency key
  std::map<std::string, std::deque<Fault>> faults;       // by method name
  std::vector<std::string> calls;                        // method names, in order
  // Run after the method has acted (and before its reply), e.g. the shopper changing the cart
  // while the saga runs. Called with the world's lock held: touch the state directly.
  std::map<std::string, std::function<void()>> after_acting;
  cart::v1::ClearCartRequest last_clear;

  World() {
    using ::testing::_;
    using ::testing::Invoke;
    ON_CALL(cart, GetCart(_, _, _))
        .WillByDefault(Invoke([this](auto*, const auto&, cart::v1::Cart* out) {
          return Run("GetCart", [&] {
            for (const auto& [id, quantity] : cart_lines) {
              auto* line = out->add_items();
              line->set_product_id(id);
              line->set_quantity(quantity);
              // The cart's own price, which checkout must not use.
              line->mutable_unit_price()->set_amount(1);
              line->mutable_unit_price()->set_currency("USD");
            }
            out->set_revision(cart_revision);
            return absl::OkStatus();
          });
        }));
    ON_CALL(cart, ClearCart(_, _, _))
        .WillByDefault(Invoke([this](auto*, const cart::v1::ClearCartRequest& request, auto*) {
          return Run("ClearCart", [&] {
            last_clear = request;
            cart_revision += "+";
            if (request.take().empty()) cart_lines.clear();
            for (const auto& take : request.take()) {
              for (auto it = cart_lines.begin(); it != cart_lines.end(); ++it) {
                if (it->first != take.product_id()) continue;
                it->second -= take.quantity();
                if (it->second <= 0) cart_lines.erase(it);
                break;
              }
            }
            return absl::OkStatus();
          });
        }));
    ON_CALL(catalog, BatchGetProducts(_, _, _))
        .WillByDefault(Invoke([this](auto*, const catalog::v1::BatchGetProductsRequest& request,
                                     catalog::v1::BatchGetProductsResponse* out) {
          return Run("BatchGetProducts", [&] {
            for (const auto& id : request.ids()) {
              auto it = products.find(id);
              if (it == products.end()) {
                out->add_missing_ids(id);
              } else {
                *out->add_products() = it->second;
              }
            }
            return absl::OkStatus();
          });
        }));
    ON_CALL(catalog, ReserveStock(_, _, _))
        .WillByDefault(Invoke([this](auto*, const catalog::v1::ReserveStockRequest& request,
                                     catalog::v1::Reservation* out) {
          return Run("ReserveStock", [&]() -> absl::Status {
            last_ttl_seconds = request.ttl_seconds();
            out->set_reservation_id(request.reservation_id());
            auto existing = reservations.find(request.reservation_id());
            if (existing != reservations.end()) {
              if (existing->second.state == "released" || existing->second.state == "expired") {
                return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_closed",
                                     "closed");
              }
              return absl::OkStatus();
            }
            for (const auto& item : request.items()) {
              auto p = products.find(item.product_id());
              if (p == products.end()) {
                return ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found", "gone");
              }
              if (p->second.stock() < item.quantity()) {
                return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock",
                                     "not enough stock for '" + p->second.name() + "'");
              }
            }
            Reservation r{"held", {}};
            for (const auto& item : request.items()) {
              auto& p = products[item.product_id()];
              p.set_stock(p.stock() - item.quantity());
              r.items[item.product_id()] += item.quantity();
            }
            reservations[request.reservation_id()] = r;
            return absl::OkStatus();
          });
        }));
    ON_CALL(catalog, CommitReservation(_, _, _))
        .WillByDefault(Invoke([this](auto*, const catalog::v1::CommitReservationRequest& request,
                                     auto*) {
          return Run("CommitReservation", [&]() -> absl::Status {
            auto it = reservations.find(request.reservation_id());
            if (it == reservations.end()) {
              return ErrorWithCode(absl::StatusCode::kNotFound, "reservation_not_found", "none");
            }
            if (it->second.state == "released" || it->second.state == "expired") {
              return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_closed",
                                   "closed");
            }
            it->second.state = "committed";
            return absl::OkStatus();
          });
        }));
    ON_CALL(catalog, ReleaseReservation(_, _, _))
        .WillByDefault(Invoke([this](auto*, const catalog::v1::ReleaseReservationRequest& request,
                                     catalog::v1::Reservation* out) {
          return Run("ReleaseReservation", [&]() -> absl::Status {
            auto it = reservations.find(request.reservation_id());
            if (it == reservations.end()) {
              reservations[request.reservation_id()] = Reservation{"released", {}};
              return absl::OkStatus();
            }
            if (it->second.state == "committed") {
              return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_committed",
                                   "committed");
            }
            for (const auto& [id, quantity] : it->second.items) {
              auto* item = out->add_items();
              item->set_product_id(id);
              item->set_quantity(quantity);
            }
            if (it->second.state == "held") {
              for (const auto& [id, quantity] : it->second.items) {
                products[id].set_stock(products[id].stock() + quantity);
              }
              it->second.state = "released";
            }
            return absl::OkStatus();
          });
        }));
    ON_CALL(payment, Authorize(_, _, _))
        .WillByDefault(Invoke(
            [this](auto*, const payment::v1::AuthorizeRequest& request, payment::v1::Payment* out) {
              return Run("Authorize", [&]() -> absl::Status {
                last_authorize = request;
                auto it = payments.find(request.idempotency_key());
                if (it != payments.end()) {
                  *out = it->second;
                  return absl::OkStatus();
                }
                const std::string& number = request.card().number();
                if (number == "4242424242424241") {
                  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_card",
                                       "card number fails the Luhn check");
                }
                payment::v1::Payment p;
                p.set_id(NewUuid());
                p.set_idempotency_key(request.idempotency_key());
                *p.mutable_amount() = request.amount();
                p.set_order_id(request.order_id());
                p.set_card_brand("visa");
                p.set_card_last4(number.substr(number.size() - 4));
                if (number == "4000000000000002") {
                  p.set_state(payment::v1::PAYMENT_STATE_DECLINED);
                  p.set_decline_code("card_declined");
                } else if (number == "4000000000009995") {
                  p.set_state(payment::v1::PAYMENT_STATE_DECLINED);
                  p.set_decline_code("insufficient_funds");
                } else {
                  p.set_state(payment::v1::PAYMENT_STATE_AUTHORIZED);
                }
                payments[request.idempotency_key()] = p;
                *out = p;
                return absl::OkStatus();
              });
            }));
    ON_CALL(payment, GetPayment(_, _, _))
        .WillByDefault(Invoke([this](auto*, const payment::v1::GetPaymentRequest& request,
                                     payment::v1::Payment* out) {
          return Run("GetPayment", [&]() -> absl::Status {
            auto it = payments.find(request.idempotency_key());
            if (it == payments.end()) {
              return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "none");
            }
            *out = it->second;
            return absl::OkStatus();
          });
        }));
    ON_CALL(payment, Capture(_, _, _))
        .WillByDefault(Invoke([this](auto*, const payment::v1::CaptureRequest& r, auto* out) {
          return Move("Capture", r.payment_id(), payment::v1::PAYMENT_STATE_AUTHORIZED,
                      payment::v1::PAYMENT_STATE_CAPTURED, out);
        }));
    ON_CALL(payment, Void(_, _, _))
        .WillByDefault(Invoke([this](auto*, const payment::v1::VoidRequest& r, auto* out) {
          return Move("Void", r.payment_id(), payment::v1::PAYMENT_STATE_AUTHORIZED,
                      payment::v1::PAYMENT_STATE_VOIDED, out);
        }));
    ON_CALL(payment, Refund(_, _, _))
        .WillByDefault(Invoke([this](auto*, const payment::v1::RefundRequest& r, auto* out) {
          return Move("Refund", r.payment_id(), payment::v1::PAYMENT_STATE_CAPTURED,
                      payment::v1::PAYMENT_STATE_REFUNDED, out);
        }));
  }

  void AddProduct(const std::string& id, const std::string& name, int64_t price, int64_t stock,
                  const std::string& currency = "USD") {
    catalog::v1::Product p;
    p.set_id(id);
    p.set_name(name);
    p.mutable_price()->set_amount(price);
    p.mutable_price()->set_currency(currency);
    p.set_stock(stock);
    products[id] = p;
  }

  void Fail(const std::string& method, absl::Status status, bool after_acting = false) {
    std::lock_guard<std::mutex> lock(mu_);
    faults[method].push_back({std::move(status), after_acting});
  }

  int Count(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count(calls.begin(), calls.end(), method));
  }
  const payment::v1::Payment* PaymentOf(const std::string& order_id) {
    auto it = payments.find("checkout-order:" + order_id);
    return it == payments.end() ? nullptr : &it->second;
  }
  std::string ReservationState(const std::string& order_id) {
    auto it = reservations.find(order_id);
    return it == reservations.end() ? "" : it->second.state;
  }
  int64_t Stock(const std::string& id) { return products.at(id).stock(); }

  payment::v1::AuthorizeRequest last_authorize;
  int last_ttl_seconds = 0;

 private:
  template <typename Fn>
  grpc::Status Run(const std::string& method, Fn act) {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back(method);
    auto& queue = faults[method];
    if (!queue.empty()) {
      Fault fault = queue.front();
      queue.pop_front();
      if (fault.after_acting) act().IgnoreError();
      return ToGrpcStatus(fault.status);
    }
    absl::Status status = act();
    if (auto hook = after_acting.find(method); hook != after_acting.end()) hook->second();
    return ToGrpcStatus(status);
  }

  grpc::Status Move(const std::string& method, const std::string& id,
                    payment::v1::PaymentState from, payment::v1::PaymentState to,
                    payment::v1::Payment* out) {
    return Run(method, [&]() -> absl::Status {
      for (auto& [key, p] : payments) {
        if (p.id() != id) continue;
        if (p.state() == from) p.set_state(to);
        if (p.state() != to) {
          return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "invalid_transition",
                               "invalid transition");
        }
        *out = p;
        return absl::OkStatus();
      }
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "none");
    });
  }

  std::mutex mu_;
};

// A PlaceOrderRequest with a new idempotency key, fingerprint "fp", a short shipping address
// and the sandbox's good card (number only).
inline v1::PlaceOrderRequest NewOrderRequest() {
  v1::PlaceOrderRequest request;
  request.set_idempotency_key(NewUuid());
  request.set_request_fingerprint("fp");
  auto* a = request.mutable_shipping_address();
  a->set_name("Ann");
  a->set_line1("1 Main St");
  a->set_city("Berlin");
  a->set_country("DE");
  request.mutable_card()->set_number("4242424242424242");
  return request;
}

}  // namespace mercato::checkout
