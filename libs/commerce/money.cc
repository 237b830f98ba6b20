#include "commerce/money.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato {
namespace {

absl::Status OutOfRange(absl::string_view field, absl::string_view problem) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "price_out_of_range",
                       absl::StrCat(field, " ", problem));
}

}  // namespace

bool IsValidUnitPrice(int64_t amount) { return amount >= 0 && amount <= kMaxUnitPrice; }

absl::StatusOr<int64_t> LineTotal(int64_t unit_price, int64_t quantity, absl::string_view field) {
  if (!IsValidUnitPrice(unit_price)) {
    return OutOfRange(field, absl::StrCat("must be between 0 and ", kMaxUnitPrice,
                                          " minor units; the product's price needs correcting"));
  }
  if (quantity < 0) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_quantity",
                         "quantity must not be negative");
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(unit_price, quantity, &total)) {
    return OutOfRange(field, "times the quantity is too large");
  }
  return total;
}

absl::Status AddAmount(int64_t& sum, int64_t amount, absl::string_view field) {
  int64_t result = 0;
  if (__builtin_add_overflow(sum, amount, &result)) return OutOfRange(field, "is too large");
  sum = result;
  return absl::OkStatus();
}

}  // namespace mercato
