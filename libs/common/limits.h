// Limits that more than one process enforces or relies on: the gateway checks them on the
// HTTP request for a clear 400, the owning service checks them again on the RPC, and clients
// batch by them. Defined once here so that the two sides cannot drift apart.
//
//   if (page_size < 1 || page_size > mercato::kMaxPageSize) ...
#pragma once

#include <cstddef>

namespace mercato {

// page_size of every listing (catalog ListProducts, checkout ListOrders, ...): 1..100; 0 or
// absent means the default.
inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;

// An Idempotency-Key (gateway header, checkout PlaceOrder, payment Authorize): 1..255
// characters.
inline constexpr size_t kMaxIdempotencyKeyLength = 255;

// catalog BatchGetProducts answers at most this many ids per call; more is INVALID_ARGUMENT.
// The catalog enforces it, its clients (libs/catalog_client) batch by it.
inline constexpr int kMaxBatchGetProductsIds = 100;

}  // namespace mercato
