#include "gateway/json_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/call_context.h"
#include "common/status.h"
#include "gateway/json_fields.h"

namespace mercato::gateway {

Json MoneyJson(const common::v1::Money& money) {
  Json out = Json::object();
  out["amount"] = money.amount();
  out["currency"] = money.currency();
  return out;
}

namespace {

void FillProductJson(const catalog::v1::Product& p, Json& out) {
  out["id"] = p.id();
  out["name"] = p.name();
  out["description"] = p.description();
  out["price"] = MoneyJson(p.price());
  Json& categories = out["categories"] = Json::array();
  for (const auto& c : p.categories()) categories.push_back(c);
  out["image_url"] = p.image_url();
  out["stock"] = p.stock();
}

}  // namespace

Json ProductJson(const catalog::v1::Product& p) {
  Json out = Json::object();
  FillProductJson(p, out);
  return out;
}

void AppendProductsJson(const google::protobuf::RepeatedPtrField<catalog::v1::Product>& products,
                        Json& array) {
  array.get_ref<Json::array_t&>().reserve(array.size() + products.size());
  for (const auto& p : products) FillProductJson(p, array.emplace_back(Json::object()));
}

Json CategoryJson(const catalog::v1::Category& c) {
  Json out = Json::object();
  out["id"] = c.id();
  out["name"] = c.name();
  return out;
}

std::string TimestampJson(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

const char* OrderStatusName(checkout::v1::OrderStatus status) {
  using checkout::v1::OrderStatus;
  switch (status) {
    case OrderStatus::ORDER_STATUS_PENDING:
      return "pending";
    case OrderStatus::ORDER_STATUS_PAID:
      return "paid";
    case OrderStatus::ORDER_STATUS_FAILED:
      return "failed";
    case OrderStatus::ORDER_STATUS_FULFILLING:
      return "fulfilling";
    case OrderStatus::ORDER_STATUS_SHIPPED:
      return "shipped";
    case OrderStatus::ORDER_STATUS_DELIVERED:
      return "delivered";
    case OrderStatus::ORDER_STATUS_CANCELLING:
      return "cancelling";
    case OrderStatus::ORDER_STATUS_CANCELLED:
      return "cancelled";
    case OrderStatus::ORDER_STATUS_REFUNDED:
      return "refunded";
    case OrderStatus::ORDER_STATUS_PARTIALLY_REFUNDED:
      return "partially_refunded";
    default:
      return "unknown";
  }
}

namespace {

// Oldest first; carrier and tracking number only for a shipment, the amount only for a
// refund or a cancel.
void FillTimelineJson(const checkout::v1::Order& o, Json& timeline) {
  timeline.get_ref<Json::array_t&>().reserve(o.timeline_size());
  for (const auto& entry : o.timeline()) {
    Json& t = timeline.emplace_back(Json::object());
    t["status"] = OrderStatusName(entry.status());
    t["at"] = TimestampJson(entry.at_unix_ms());
    if (!entry.carrier().empty()) t["carrier"] = entry.carrier();
    if (!entry.tracking_number().empty()) t["tracking_number"] = entry.tracking_number();
    if (entry.has_amount()) t["amount"] = MoneyJson(entry.amount());
  }
}

void FillHistoryJson(const checkout::v1::Order& o, Json& history) {
  for (const auto& change : o.history()) {
    Json& h = history.emplace_back(Json::object());
    h["status"] = OrderStatusName(change.status());
    h["step"] = change.step();
    h["detail"] = change.detail();
    h["at"] = TimestampJson(change.at_unix_ms());
  }
}

}  // namespace

void FillOrderJson(const checkout::v1::Order& o, Json& out, bool with_history) {
  out["id"] = o.id();
  out["status"] = OrderStatusName(o.status());
  Json& items = out["items"] = Json::array();
  items.get_ref<Json::array_t&>().reserve(o.items_size());
  for (const auto& line : o.items()) AppendLineJson(line, items);
  out["subtotal"] = MoneyJson(o.subtotal());
  out["shipping"] = MoneyJson(o.shipping());
  out["tax"] = MoneyJson(o.tax());
  out["total"] = MoneyJson(o.total());
  Json& address = out["shipping_address"] = AddressJson(o.shipping_address());
  if (o.shipping_address().id().empty()) address.erase("id");  // typed in at checkout
  out["failure_code"] = o.failure_code();
  out["card_brand"] = o.card_brand();
  out["card_last4"] = o.card_last4();
  out["created_at"] = TimestampJson(o.created_at_unix_ms());
  FillTimelineJson(o, out["timeline"] = Json::array());
  out["cancellable"] = o.cancellable();
  // Nothing refunded is zero in the order's currency, whether or not the service said so.
  common::v1::Money refunded = o.refunded();
  if (refunded.currency().empty()) refunded.set_currency(o.total().currency());
  out["refunded"] = MoneyJson(refunded);
  if (with_history) FillHistoryJson(o, out["history"] = Json::array());
}

Json OrderJson(const checkout::v1::Order& o, bool with_history) {
  Json out = Json::object();
  FillOrderJson(o, out, with_history);
  return out;
}

HttpResponse JsonResponse(unsigned status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

HttpResponse ErrorResponse(unsigned http_status, absl::string_view code,
                           absl::string_view message) {
  return JsonResponse(http_status, {{"error",
                                     {{"code", std::string(code)},
                                      {"message", std::string(message)},
                                      {"request_id", CurrentCall().request_id}}}});
}

HttpResponse ErrorResponse(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kResourceExhausted &&
      ErrorCodeOf(status) == DefaultErrorCode(absl::StatusCode::kResourceExhausted)) {
    // A backend shedding load (no limit of the caller's own, such as too_many_attempts): the
    // server is at capacity, not the client over a limit.
    HttpResponse response =
        ErrorResponse(503, "overloaded", "the service is at capacity, retry shortly");
    response.Header("Retry-After", absl::StrCat(std::max(1, RetryAfterOf(status))));
    return response;
  }
  const int http_status = HttpStatusOf(status);
  std::string message(status.message());
  if (http_status >= 500 && status.code() != absl::StatusCode::kUnavailable &&
      status.code() != absl::StatusCode::kDeadlineExceeded) {
    message = "internal error";
  }
  HttpResponse response = ErrorResponse(http_status, ErrorCodeOf(status), message);
  if (int retry_after = RetryAfterOf(status); retry_after > 0) {
    response.Header("Retry-After", absl::StrCat(retry_after));
  } else if (http_status == 503) {
    response.Header("Retry-After", "1");
  }
  return response;
}

absl::StatusOr<Json> ParseJsonObject(const HttpRequest& request) {
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_json",
                         "request body is not valid JSON");
  }
  if (!body.is_object()) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_json",
                         "request body must be a JSON object");
  }
  return body;
}

}  // namespace mercato::gateway
