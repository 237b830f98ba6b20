// JSON of the public HTTP API, and the one place HTTP error bodies are made:
//   {"error":{"code":"not_found","message":"...","request_id":"..."}}
// The hot responses (the product listing, a product, the categories, the cart) and every other
// product are written with RapidJSON's streaming writer straight from the messages, without a
// DOM; everything else (errors, orders, accounts, request bodies) is nlohmann/json.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/http_types.h"
#include "mercato/cart/v1/cart.pb.h"
#include "mercato/catalog/v1/catalog.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato::gateway {

using Json = nlohmann::json;

// The streaming writer. What it writes is byte for byte what nlohmann's dump() (as
// JsonResponse calls it) writes for the same document, so that bodies and their ETags do not
// depend on which of the two wrote them: every object's members in sorted key order (nlohmann's
// object is a std::map), UTF-8 kept as is, and strings that hold control characters or invalid
// UTF-8 escaped and replaced exactly as nlohmann does (WriteJsonString).
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A whole document written by a JsonWriter: the body of a hot response.
class JsonText {
 public:
  explicit JsonText(const rapidjson::StringBuffer& buffer)
      : text_(buffer.GetString(), buffer.GetSize()) {}
  const std::string& str() const& { return text_; }
  std::string str() && { return std::move(text_); }

 private:
  std::string text_;
};

// A member name: one of this file's literals (plain ASCII, nothing to escape).
template <size_t N>
void WriteJsonKey(JsonWriter& w, const char (&key)[N]) {
  w.Key(key, static_cast<rapidjson::SizeType>(N - 1));
}
// A string value, as nlohmann's dump() writes it (see above).
void WriteJsonString(JsonWriter& w, absl::string_view value);
// {"amount","currency"}
void WriteMoney(JsonWriter& w, const common::v1::Money& money);
// One member: its key, then its value as above.
template <size_t N>
void WriteStringMember(JsonWriter& w, const char (&key)[N], absl::string_view value) {
  WriteJsonKey(w, key);
  WriteJsonString(w, value);
}
template <size_t N>
void WriteIntMember(JsonWriter& w, const char (&key)[N], int64_t value) {
  WriteJsonKey(w, key);
  w.Int64(value);
}
template <size_t N>
void WriteMoneyMember(JsonWriter& w, const char (&key)[N], const common::v1::Money& money) {
  WriteJsonKey(w, key);
  WriteMoney(w, money);
}
// {"categories","description","id","image_url","name","price","stock"}; with
// `with_stock_detail` (admin answers) also "on_hand" and "reserved".
void WriteProduct(JsonWriter& w, const catalog::v1::Product& product,
                  bool with_stock_detail = false);
JsonText ProductText(const catalog::v1::Product& product, bool with_stock_detail = false);
// {"next_page_token"? (only when there is a next page),"products":[...]}
JsonText ProductsPageText(const catalog::v1::ListProductsResponse& page);
// {"categories":[{"id","name"}]}
JsonText CategoriesText(const catalog::v1::ListCategoriesResponse& reply);
// {"items":[{"available_stock","image_url","line_total","name","product_id","quantity",
//            "unit_price"}],"subtotal"}
JsonText CartText(const cart::v1::Cart& cart);

// Builders assign members one by one: nlohmann's initializer-list construction deep-copies
// every value once more.
Json MoneyJson(const common::v1::Money& money);
// An instant as the API renders every timestamp: RFC 3339 in UTC with milliseconds,
// "2026-12-06T23:53:34.120Z".
std::string TimestampJson(int64_t unix_ms);
// An order status as the API names it: "paid", "partially_refunded", ... ("unknown" for a
// value this gateway does not know).
const char* OrderStatusName(checkout::v1::OrderStatus status);
// An order: {"id","status","items","subtotal","shipping","tax","total","shipping_address",
// "failure_code","card_brand","card_last4","created_at","timeline":[{"status","at",
// "carrier"?,"tracking_number"?,"amount"?}],"cancellable","refunded"}, plus "history" (the
// saga's steps) when `with_history`. FillOrderJson writes the members into `out`.
void FillOrderJson(const checkout::v1::Order& order, Json& out, bool with_history);
Json OrderJson(const checkout::v1::Order& order, bool with_history);

HttpResponse JsonResponse(unsigned status, const Json& body);
HttpResponse JsonResponse(unsigned status, JsonText body);
// The HTTP status, error code and Retry-After come from the status (common/status.h). The
// message of a 5xx is generic: internals are logged, not returned. A RESOURCE_EXHAUSTED
// without an error code of its own (a backend shedding load) is 503 overloaded, not 429.
HttpResponse ErrorResponse(const absl::Status& status);
// A 4xx with an explicit code, e.g. ErrorResponse(400, "invalid_json", "...").
HttpResponse ErrorResponse(unsigned http_status, absl::string_view code, absl::string_view message);

// The request body as a JSON object; INVALID_ARGUMENT ("invalid_json") when it is not one.
absl::StatusOr<Json> ParseJsonObject(const HttpRequest& request);

}  // namespace mercato::gateway
