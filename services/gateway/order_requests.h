// Strict reading of the order lifecycle's requests (cancel, admin refund) and of the
// Idempotency-Key header that checkout and refunds share. Every problem is an
// INVALID_ARGUMENT whose error code and message name the field (json_fields.h), never the
// value sent.
//
//   if (absl::Status s = CheckIdempotencyKey(http.Header("idempotency-key")); !s.ok()) ...
//   auto rpc = ParseRefundBody(*body);  // checkout::v1::RefundOrderRequest, id and key unset
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/http_types.h"
#include "gateway/json_codec.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::gateway {

// The refund body's limits (the checkout service checks the order's own).
inline constexpr size_t kMaxRefundLines = 100;
inline constexpr size_t kMaxRefundReasonChars = 500;
inline constexpr size_t kMaxRefundProductIdLength = 64;
inline constexpr int kMaxRefundQuantity = 10000;

// 400 "idempotency_key_required" when empty, "invalid_idempotency_key" unless it is 1 to 255
// characters of A-Z a-z 0-9 - _ . : (UUIDs, ULIDs and base64url fit).
absl::Status CheckIdempotencyKey(std::string_view key);

// A body that carries nothing: empty (or whitespace), or the empty JSON object.
absl::Status CheckEmptyBody(const HttpRequest& request);

// POST /api/v1/admin/orders/{id}/refunds:
//   {"lines":[{"product_id","quantity"}]}   1..100 lines, each product once, quantity 1..10000
//   {"amount":{"amount","currency"}}       amount >= 1 minor units, currency "USD"-like
//   {}                                     everything not refunded yet
// and optionally "reason" (at most 500 characters). Lines and amount together are refused.
absl::StatusOr<checkout::v1::RefundOrderRequest> ParseRefundBody(const Json& body);

}  // namespace mercato::gateway
