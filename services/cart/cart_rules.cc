#include "cart/cart_rules.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::cart {

bool IsValidGuestCartId(absl::string_view id) {
  if (id.size() < 16 || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

absl::Status CheckRequestedQuantity(int64_t quantity) {
  if (quantity < 1 || quantity > kMaxQuantityPerLine) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_quantity",
                         absl::StrCat("quantity must be between 1 and ", kMaxQuantityPerLine));
  }
  return absl::OkStatus();
}

absl::Status CheckProductId(absl::string_view product_id) {
  if (product_id.empty() || product_id.size() > kMaxProductIdLength) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_product_id",
                         "product_id must be a non-empty product id");
  }
  return absl::OkStatus();
}

}  // namespace mercato::cart
