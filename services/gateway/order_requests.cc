#include "gateway/order_requests.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/status.h"
#include "gateway/json_fields.h"

namespace mercato::gateway {
namespace {

// Characters, not bytes: UTF-8 continuation bytes do not count.
size_t Utf8Length(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

bool IsCurrencyCode(const std::string& code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

absl::Status ParseRefundLine(const Json& line, const std::string& path,
                             checkout::v1::RefundLine& out) {
  if (!line.is_object()) return InvalidField(path, "an object {\"product_id\", \"quantity\"}");
  if (auto s = OnlyFields(line, path, {"product_id", "quantity"}); !s.ok()) return s;
  const std::string id_path = absl::StrCat(path, ".product_id");
  auto id = StringField(line, "product_id", id_path, Presence::kRequiredNonEmpty);
  if (!id.ok()) return id.status();
  if (id->size() > kMaxRefundProductIdLength) {
    return InvalidField(id_path,
                        absl::StrCat("at most ", kMaxRefundProductIdLength, " characters"));
  }
  auto quantity =
      IntField(line, "quantity", absl::StrCat(path, ".quantity"), 1, kMaxRefundQuantity);
  if (!quantity.ok()) return quantity.status();
  out.set_product_id(*std::move(id));
  out.set_quantity(static_cast<int32_t>(*quantity));
  return absl::OkStatus();
}

absl::Status ParseRefundLines(const Json& lines, checkout::v1::RefundOrderRequest& out) {
  if (!lines.is_array() || lines.empty() || lines.size() > kMaxRefundLines) {
    return InvalidField("lines", absl::StrCat("an array of 1 to ", kMaxRefundLines, " lines"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string path = absl::StrCat("lines[", i, "]");
    checkout::v1::RefundLine& line = *out.add_lines();
    if (absl::Status s = ParseRefundLine(lines[i], path, line); !s.ok()) return s;
    if (!seen.insert(line.product_id()).second) {
      return InvalidField(absl::StrCat(path, ".product_id"), "a product not listed before");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseRefundAmount(const Json& money, common::v1::Money& out) {
  if (!money.is_object()) return InvalidField("amount", "an object {\"amount\", \"currency\"}");
  if (auto s = OnlyFields(money, "amount", {"amount", "currency"}); !s.ok()) return s;
  auto amount = IntField(money, "amount", "amount.amount", 1, std::numeric_limits<int64_t>::max());
  if (!amount.ok()) return amount.status();
  auto currency = StringField(money, "currency", "amount.currency", Presence::kRequiredNonEmpty);
  if (!currency.ok()) return currency.status();
  if (!IsCurrencyCode(*currency)) {
    return InvalidField("amount.currency", "a 3-letter ISO 4217 code such as \"USD\"");
  }
  out.set_amount(*amount);
  out.set_currency(*std::move(currency));
  return absl::OkStatus();
}

bool Present(const Json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && !it->is_null();
}

}  // namespace

absl::Status CheckIdempotencyKey(std::string_view key) {
  if (key.empty()) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "idempotency_key_required",
                         "the Idempotency-Key header is required");
  }
  const bool valid =
      key.size() <= kMaxIdempotencyKeyLength && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == ':';
      });
  if (valid) return absl::OkStatus();
  return ErrorWithCode(
      absl::StatusCode::kInvalidArgument, "invalid_idempotency_key",
      absl::StrCat("the Idempotency-Key header must be 1 to ", kMaxIdempotencyKeyLength,
                   " characters of A-Z, a-z, 0-9, '-', '_', '.', ':'"));
}

absl::Status CheckEmptyBody(const HttpRequest& request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return absl::OkStatus();
  auto body = ParseJsonObject(request);
  if (!body.ok()) return body.status();
  return OnlyFields(*body, "", {});
}

absl::StatusOr<checkout::v1::RefundOrderRequest> ParseRefundBody(const Json& body) {
  if (auto s = OnlyFields(body, "", {"lines", "amount", "reason"}); !s.ok()) return s;
  checkout::v1::RefundOrderRequest out;
  const bool has_lines = Present(body, "lines");
  const bool has_amount = Present(body, "amount");
  if (has_lines && has_amount) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_field",
                         "give either 'lines' or 'amount', not both");
  }
  if (has_lines) {
    if (absl::Status s = ParseRefundLines(body["lines"], out); !s.ok()) return s;
  }
  if (has_amount) {
    if (absl::Status s = ParseRefundAmount(body["amount"], *out.mutable_amount()); !s.ok()) {
      return s;
    }
  }
  auto reason = StringField(body, "reason", "reason", Presence::kOptional);
  if (!reason.ok()) return reason.status();
  if (Utf8Length(*reason) > kMaxRefundReasonChars) {
    return InvalidField("reason", absl::StrCat("at most ", kMaxRefundReasonChars, " characters"));
  }
  out.set_reason(*std::move(reason));
  return out;
}

}  // namespace mercato::gateway
