#include "checkout/order_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "commerce/address.h"
#include "common/status.h"
#include "rpc/status_conversion.h"

namespace mercato::checkout {
namespace {

absl::Status InvalidArgument(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

bool IsPrintableAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

}  // namespace

absl::StatusOr<common::v1::Address> ValidatePlaceOrder(const v1::PlaceOrderRequest& request) {
  const std::string& key = request.idempotency_key();
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength || !IsPrintableAscii(key)) {
    return InvalidArgument("invalid_idempotency_key",
                           absl::StrCat("idempotency_key must be 1 to ", kMaxIdempotencyKeyLength,
                                        " printable ASCII characters"));
  }
  const std::string& fingerprint = request.request_fingerprint();
  if (fingerprint.empty() || fingerprint.size() > kMaxFingerprintLength ||
      !IsPrintableAscii(fingerprint)) {
    return InvalidArgument("invalid_argument",
                           absl::StrCat("request_fingerprint must be 1 to ", kMaxFingerprintLength,
                                        " printable ASCII characters"));
  }
  if (!request.has_shipping_address()) {
    return InvalidArgument("invalid_address", "shipping_address is required");
  }
  // The rule saved addresses follow too: an inline address is stored as it would be saved.
  common::v1::Address address = request.shipping_address();
  if (absl::Status s = NormaliseAddress(address, "shipping_address."); !s.ok()) return s;
  // The card itself is the payment service's to check; its number is never echoed.
  if (!request.has_card() || request.card().number().empty()) {
    return InvalidArgument("invalid_card", "card is required");
  }
  return address;
}

absl::StatusOr<v1::Order> ReplayOutcome(const OrderRecord& order, const std::string& fingerprint) {
  if (order.request_fingerprint != fingerprint) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                         "this Idempotency-Key was used for a different request");
  }
  switch (order.step) {
    case OrderStep::kPaid:
      return order.order;
    case OrderStep::kFailed:
      return FailureOf(order);
    default:
      return ErrorWithCode(absl::StatusCode::kAborted, "in_progress",
                           "a request with this Idempotency-Key is still being processed; "
                           "retry shortly",
                           /*retry_after_seconds=*/1);
  }
}

absl::Status FailureOf(const OrderRecord& order) {
  const absl::StatusCode code = order.failure_status == absl::StatusCode::kOk
                                    ? absl::StatusCode::kAborted
                                    : order.failure_status;
  return ErrorWithCode(code, order.order.failure_code(), order.failure_message);
}

absl::Status CartOrdered(OrderStep other) {
  if (other == OrderStep::kPaid) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "cart_already_ordered",
                         "these cart contents were already ordered; change the cart to order "
                         "again");
  }
  return ErrorWithCode(absl::StatusCode::kAborted, "cart_checkout_in_progress",
                       "another checkout of this cart is in progress; nothing was reserved or "
                       "charged for this one",
                       /*retry_after_seconds=*/1);
}

absl::Status OrderInProgress() {
  return ErrorWithCode(absl::StatusCode::kAborted, "in_progress",
                       "the order is being completed; repeat the request with the same "
                       "Idempotency-Key to learn its outcome",
                       /*retry_after_seconds=*/1);
}

absl::Status OrderPending(absl::Duration payment_grace) {
  return ErrorWithCode(
      absl::StatusCode::kUnavailable, "order_pending",
      "the order could not be completed now; it will be completed or "
      "cancelled shortly; repeat the request with the same Idempotency-Key "
      "to learn its outcome",
      /*retry_after_seconds=*/static_cast<int>(absl::ToInt64Seconds(payment_grace) + 1));
}

absl::Status PaymentsUnavailable(const absl::Status& breaker) {
  return ErrorWithCode(absl::StatusCode::kUnavailable, "service_unavailable",
                       "payments are temporarily unavailable; nothing was reserved or "
                       "charged; try again shortly",
                       std::max(1, RetryAfterOf(breaker)));
}

OrderFailure ReservationExpired() {
  return {"reservation_expired", absl::StatusCode::kAborted,
          "the stock reservation expired before the order was completed; the payment was "
          "refunded"};
}

OrderFailure Interrupted() {
  return {"checkout_interrupted", absl::StatusCode::kAborted,
          "the checkout could not be completed; nothing was charged and the stock was released; "
          "try again with a new Idempotency-Key"};
}

OrderFailure DeclineOf(const std::string& decline_code) {
  if (decline_code == "insufficient_funds") {
    return {"insufficient_funds", absl::StatusCode::kFailedPrecondition,
            "the card was declined for insufficient funds"};
  }
  return {"payment_declined", absl::StatusCode::kFailedPrecondition, "the card was declined"};
}

std::optional<OrderFailure> StockRefusal(const absl::Status& status) {
  const std::string code = ExplicitErrorCodeOf(status);
  if (code == "out_of_stock") {
    return OrderFailure{"out_of_stock", absl::StatusCode::kFailedPrecondition,
                        std::string(status.message())};
  }
  if (code == "product_not_found") {
    return OrderFailure{"product_unavailable", absl::StatusCode::kFailedPrecondition,
                        "a product in the cart is no longer sold; remove it from the cart"};
  }
  if (CallNotSent(status)) return Interrupted();  // nothing was reserved
  return std::nullopt;
}

std::optional<OrderFailure> CardRefusal(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return std::nullopt;
  return OrderFailure{ErrorCodeOf(status), absl::StatusCode::kInvalidArgument,
                      std::string(status.message())};
}

}  // namespace mercato::checkout
