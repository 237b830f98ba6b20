// Bounds on money, so that no price, line or total of Mercato can overflow int64, and a
// value outside them is a 4xx naming the field, never a 500.
//
//   A unit price is 0..kMaxUnitPrice minor units (10,000,000.00 in a two-decimal currency,
//   10^9 yen). The catalog refuses to store more; a line holds at most 99 units and a cart
//   100 lines, so a cart's subtotal stays below 10^13, far from 2^63 (9.2 * 10^18) and from
//   what tax arithmetic needs (subtotal * 10000).
//
//   auto total = mercato::LineTotal(product.price().amount(), quantity, "items[0].unit_price");
//   if (!total.ok()) return total.status();   // FAILED_PRECONDITION "price_out_of_range"
//   if (absl::Status s = mercato::AddAmount(subtotal, *total, "subtotal"); !s.ok()) ...
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mercato {

inline constexpr int64_t kMaxUnitPrice = 1'000'000'000;

// 0 <= amount <= kMaxUnitPrice.
bool IsValidUnitPrice(int64_t amount);

// unit_price * quantity. FAILED_PRECONDITION "price_out_of_range" naming `field` when the
// unit price is outside 0..kMaxUnitPrice (a row stored before the bound existed) or the
// product does not fit in int64; INVALID_ARGUMENT "invalid_quantity" for a negative quantity.
absl::StatusOr<int64_t> LineTotal(int64_t unit_price, int64_t quantity, absl::string_view field);

// sum += amount, or FAILED_PRECONDITION "price_out_of_range" naming `field` when the sum
// would not fit in int64 (sum is then unchanged).
absl::Status AddAmount(int64_t& sum, int64_t amount, absl::string_view field);

}  // namespace mercato
