#include "checkout/pricing.h"

#include "absl/strings/str_cat.h"
#include "catalog_client/catalog_client.h"
#include "commerce/money.h"
#include "common/status.h"

namespace mercato::checkout {

int64_t ShippingFor(int64_t subtotal) {
  return subtotal >= kFreeShippingThreshold ? 0 : kFlatShipping;
}

int64_t TaxFor(int64_t subtotal) { return (subtotal * kTaxBasisPoints + 5000) / 10000; }

absl::StatusOr<PricedOrder> PriceOrder(
    const std::vector<CartLine>& lines,
    const std::unordered_map<std::string, catalog::v1::Product>& products) {
  if (lines.empty()) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "cart_empty", "the cart is empty");
  }
  PricedOrder out;
  out.items.reserve(lines.size());
  for (const CartLine& line : lines) {
    auto it = products.find(line.product_id);
    if (it == products.end()) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "product_unavailable",
                           absl::StrCat("product '", line.product_id,
                                        "' is no longer sold; remove it from the cart"));
    }
    const catalog::v1::Product& product = it->second;
    if (line.quantity < 1) {
      return ErrorWithCode(
          absl::StatusCode::kInvalidArgument, "invalid_quantity",
          absl::StrCat("quantity of product '", line.product_id, "' must be at least 1"));
    }
    if (out.currency.empty()) out.currency = product.price().currency();
    if (product.price().currency() != out.currency) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "mixed_currency",
                           absl::StrCat("the cart mixes ", out.currency, " and ",
                                        product.price().currency(), "; an order has one currency"));
    }
    const int64_t unit = product.price().amount();
    auto line_total = LineTotalOf(product, line.quantity, static_cast<int>(out.items.size()));
    if (!line_total.ok()) return line_total.status();
    if (!AddAmount(out.subtotal, *line_total, "subtotal").ok() || out.subtotal > kMaxSubtotal) {
      return ErrorWithCode(absl::StatusCode::kInvalidArgument, "order_too_large",
                           "the order's total is too large");
    }
    v1::OrderItem& item = out.items.emplace_back();
    item.set_product_id(line.product_id);
    item.set_name(product.name());
    item.set_quantity(line.quantity);
    item.mutable_unit_price()->set_amount(unit);
    item.mutable_unit_price()->set_currency(out.currency);
    item.mutable_line_total()->set_amount(*line_total);
    item.mutable_line_total()->set_currency(out.currency);
  }
  out.shipping = ShippingFor(out.subtotal);
  out.tax = TaxFor(out.subtotal);
  out.total = out.subtotal + out.shipping + out.tax;
  return out;
}

}  // namespace mercato::checkout
