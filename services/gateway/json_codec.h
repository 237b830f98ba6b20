// JSON of the public HTTP API (nlohmann/json), and the one place HTTP error bodies are made:
//   {"error":{"code":"not_found","message":"...","request_id":"..."}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/http_types.h"
#include "mercato/catalog/v1/catalog.pb.h"
#include "mercato/checkout/v1/checkout.pb.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato::gateway {

using Json = nlohmann::json;

// Builders assign members one by one: nlohmann's initializer-list construction deep-copies
// every value once more, which shows up in profiles of the product listing.
Json MoneyJson(const common::v1::Money& money);
Json ProductJson(const catalog::v1::Product& product);
Json CategoryJson(const catalog::v1::Category& category);
// A new object in `items` with what a cart line and an order line share: product id, name,
// quantity, unit price and line total. Returns it for the caller's own members.
template <class Line>
Json& AppendLineJson(const Line& line, Json& items) {
  Json& item = items.emplace_back(Json::object());
  item["product_id"] = line.product_id();
  item["name"] = line.name();
  item["quantity"] = line.quantity();
  item["unit_price"] = MoneyJson(line.unit_price());
  item["line_total"] = MoneyJson(line.line_total());
  return item;
}
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
// Appends each product's JSON to `array`.
void AppendProductsJson(const google::protobuf::RepeatedPtrField<catalog::v1::Product>& products,
                        Json& array);

HttpResponse JsonResponse(unsigned status, const Json& body);
// The HTTP status, error code and Retry-After come from the status (common/status.h). The
// message of a 5xx is generic: internals are logged, not returned. A RESOURCE_EXHAUSTED
// without an error code of its own (a backend shedding load) is 503 overloaded, not 429.
HttpResponse ErrorResponse(const absl::Status& status);
// A 4xx with an explicit code, e.g. ErrorResponse(400, "invalid_json", "...").
HttpResponse ErrorResponse(unsigned http_status, absl::string_view code, absl::string_view message);

// The request body as a JSON object; INVALID_ARGUMENT ("invalid_json") when it is not one.
absl::StatusOr<Json> ParseJsonObject(const HttpRequest& request);

}  // namespace mercato::gateway
