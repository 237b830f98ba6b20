// The rules of placing an order, apart from the saga that applies them (order_saga.h): what a
// well-formed PlaceOrder request is, what a repeated request is answered, and which failure
// each refusal of another service becomes. Pure functions; no I/O.
//
//   auto address = ValidatePlaceOrder(request);        // INVALID_ARGUMENT with a code
//   if (auto failure = StockRefusal(reserve_status)) ... // out_of_stock, product_unavailable
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checkout/checkout_store.h"
#include "common/limits.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::checkout {

inline constexpr size_t kMaxFingerprintLength = 128;

// How an order fails: its public code, the status a request is answered with, the message.
struct OrderFailure {
  std::string code;
  absl::StatusCode status = absl::StatusCode::kAborted;
  std::string message;
};

// Request validation; nothing is recorded for a malformed request. Returns the shipping
// address normalised (mercato::NormaliseAddress, the rule of saved addresses too).
absl::StatusOr<common::v1::Address> ValidatePlaceOrder(const v1::PlaceOrderRequest& request);

// The first outcome of (user, key) for a repeat with `fingerprint`: the order, its failure,
// 409 in_progress, or 422 idempotency_key_reused for a different request.
absl::StatusOr<v1::Order> ReplayOutcome(const OrderRecord& order, const std::string& fingerprint);
// The error a failed order answers with (again, to every repeat of its request).
absl::Status FailureOf(const OrderRecord& order);
// Another order of this user holds the cart revision being ordered (issue 15, defect 12).
absl::Status CartOrdered(OrderStep other);
// The answer while the order is being settled by someone else (a lost lease).
absl::Status OrderInProgress();
// The answer when the order could not be settled now: 503 order_pending, retry after the
// payment grace.
absl::Status OrderPending(absl::Duration payment_grace);
// Payments are known to be down (the payment client's breaker): 503 before anything is held.
absl::Status PaymentsUnavailable(const absl::Status& breaker);

// The failure of a captured order whose reservation can no longer be committed (refunded).
OrderFailure ReservationExpired();
// The failure of an interrupted checkout (nothing charged, stock released).
OrderFailure Interrupted();
// The failure of a declined payment, by the processor's decline code.
OrderFailure DeclineOf(const std::string& decline_code);
// A ReserveStock refusal after which no stock is held (it is all or nothing): out_of_stock,
// product_unavailable, or interrupted when our own breaker or bulkhead refused the call.
// nullopt for anything else (an outage: the order is settled by Resolve).
std::optional<OrderFailure> StockRefusal(const absl::Status& status);
// A refusal of Authorize before anything was recorded (invalid_card, card_expired,
// invalid_amount), else nullopt.
std::optional<OrderFailure> CardRefusal(const absl::Status& status);

}  // namespace mercato::checkout
