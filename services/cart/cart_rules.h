// The cart's business rules, in one place: line limits, guest cart lifetime and the format
// of guest cart ids. The gateway issues guest ids with mercato::RandomToken(32) (43
// URL-safe base64 characters); the cart accepts any id of that alphabet and a sane length.
//
//   if (absl::Status s = CheckRequestedQuantity(request.quantity()); !s.ok()) return s;
//   if (IsValidGuestCartId(request.guest_cart_id())) ...
#pragma once

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mercato::cart {

// How many of one product a line may hold.
inline constexpr int kMaxQuantityPerLine = 99;
// How many different products one cart may hold (one catalog batch look-up prices a cart).
inline constexpr int kMaxLinesPerCart = 100;
// A guest cart expires this long after it was last used (read or changed). A week, not a
// month: every cookie-less add makes one, so their number is bounded by how many are made in
// this time (and, under memory pressure, Redis evicts the least recently used ones first:
// redis_cart_store.h).
inline constexpr std::chrono::seconds kGuestCartTtl = std::chrono::hours(24 * 7);
// Product ids longer than this are refused before any look-up.
inline constexpr size_t kMaxProductIdLength = 64;

// 16..128 characters of [A-Za-z0-9_-].
bool IsValidGuestCartId(absl::string_view id);

// INVALID_ARGUMENT "invalid_quantity" unless 1 <= quantity <= kMaxQuantityPerLine.
absl::Status CheckRequestedQuantity(int64_t quantity);
// INVALID_ARGUMENT "invalid_product_id" for an empty or overlong id.
absl::Status CheckProductId(absl::string_view product_id);

}  // namespace mercato::cart
