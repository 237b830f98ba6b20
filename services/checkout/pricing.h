// How an order is priced: every line at the catalog's current price (never a price the
// client or the cart sent), plus shipping and tax by fixed rules. All amounts are int64
// minor units of the order's one currency.
//
//   Shipping  kFlatShipping (4.99) per order; free when the subtotal is at least
//             kFreeShippingThreshold (50.00).
//   Tax       kTaxBasisPoints (8.00 %) of the subtotal (shipping is not taxed), rounded half
//             up to a whole minor unit: tax = (subtotal * 800 + 5000) / 10000.
//   Total     subtotal + shipping + tax.
//
// The rules use minor units whatever the currency (an order in JPY pays 499 yen shipping).
//
//   auto priced = PriceOrder(lines, products);   // products from BatchGetProducts
//   if (!priced.ok()) ...                        // product_unavailable, mixed_currency, ...
//   priced->total;
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "mercato/catalog/v1/catalog.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::checkout {

inline constexpr int64_t kFlatShipping = 499;
inline constexpr int64_t kFreeShippingThreshold = 5000;
inline constexpr int64_t kTaxBasisPoints = 800;
// Subtotals above this are refused ("order_too_large"), so that no sum or tax overflows.
inline constexpr int64_t kMaxSubtotal = 900'000'000'000'000;  // 9e14, * 10000 < 2^63

// One line of the cart: what and how many, nothing about price.
struct CartLine {
  std::string product_id;
  int32_t quantity = 0;
};

struct PricedOrder {
  std::vector<v1::OrderItem> items;
  std::string currency;
  int64_t subtotal = 0;
  int64_t shipping = 0;
  int64_t tax = 0;
  int64_t total = 0;
};

int64_t ShippingFor(int64_t subtotal);
int64_t TaxFor(int64_t subtotal);

// Prices `lines` in their order with `products` (by id). Errors:
//   FAILED_PRECONDITION "cart_empty"           no lines
//   FAILED_PRECONDITION "product_unavailable"  a product the catalog no longer has
//   FAILED_PRECONDITION "mixed_currency"       products priced in different currencies
//   INVALID_ARGUMENT    "invalid_quantity"     a quantity below 1
//   FAILED_PRECONDITION "price_out_of_range"   a unit price outside 0..kMaxUnitPrice
//                                              (commerce/money.h), naming the line
//   INVALID_ARGUMENT    "order_too_large"      a subtotal above kMaxSubtotal
absl::StatusOr<PricedOrder> PriceOrder(
    const std::vector<CartLine>& lines,
    const std::unordered_map<std::string, catalog::v1::Product>& products);

}  // namespace mercato::checkout
