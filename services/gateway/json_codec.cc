#include "gateway/json_codec.h"

#include <google/protobuf/stubs/common.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/call_context.h"
#include "common/status.h"
#include "gateway/json_fields.h"

namespace mercato::gateway {

namespace {

// True when RapidJSON's writer writes `value` as nlohmann does: valid UTF-8 (kept as is by
// both) without control characters (RapidJSON writes "\u001F" where nlohmann writes "\u001f",
// and its SSE2 scan lets 0x1A..0x1F through unescaped: see CMakeLists.txt).
bool WritesAsNlohmann(absl::string_view value) {
  unsigned char any = 0;
  bool control = false;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    any |= byte;
    control |= byte < 0x20;
  }
  if (control) return false;
  return (any & 0x80) == 0 || google::protobuf::internal::IsStructurallyValidUTF8(
                                  value.data(), static_cast<int>(value.size()));
}

}  // namespace

void WriteJsonString(JsonWriter& w, absl::string_view value) {
  if (WritesAsNlohmann(value)) {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return;
  }
  // Rare (the services keep text to valid UTF-8, and control characters are unusual): the
  // string exactly as nlohmann's dump() writes it, escapes and U+FFFD replacements included.
  const std::string escaped =
      Json(std::string(value)).dump(-1, ' ', false, Json::error_handler_t::replace);
  w.RawValue(escaped.data(), escaped.size(), rapidjson::kStringType);
}

void WriteMoney(JsonWriter& w, const common::v1::Money& money) {
  w.StartObject();
  WriteIntMember(w, "amount", money.amount());
  WriteStringMember(w, "currency", money.currency());
  w.EndObject();
}

void WriteProduct(JsonWriter& w, const catalog::v1::Product& p, bool with_stock_detail) {
  w.StartObject();
  WriteJsonKey(w, "categories");
  w.StartArray();
  for (const auto& c : p.categories()) WriteJsonString(w, c);
  w.EndArray();
  WriteStringMember(w, "description", p.description());
  WriteStringMember(w, "id", p.id());
  WriteStringMember(w, "image_url", p.image_url());
  WriteStringMember(w, "name", p.name());
  if (with_stock_detail) {
    WriteIntMember(w, "on_hand", p.on_hand());
  }
  WriteMoneyMember(w, "price", p.price());
  if (with_stock_detail) {
    WriteIntMember(w, "reserved", p.reserved());
  }
  WriteIntMember(w, "stock", p.stock());
  w.EndObject();
}

namespace {

// The writer of one document; `bytes` sizes the buffer for the document so that it does not
// grow while writing.
struct DocumentWriter {
  explicit DocumentWriter(size_t bytes) : buffer(nullptr, bytes), w(buffer) {}
  JsonText Text() const { return JsonText(buffer); }
  rapidjson::StringBuffer buffer;
  JsonWriter w;
};

size_t ProductBytes(const catalog::v1::Product& p) {
  return 160 + p.id().size() + p.name().size() + p.description().size() + p.image_url().size() +
         24 * p.categories_size();
}

}  // namespace

JsonText ProductText(const catalog::v1::Product& p, bool with_stock_detail) {
  DocumentWriter doc(ProductBytes(p));
  WriteProduct(doc.w, p, with_stock_detail);
  return doc.Text();
}

JsonText ProductsPageText(const catalog::v1::ListProductsResponse& page) {
  size_t bytes = 64 + page.next_page_token().size();
  for (const auto& p : page.products()) bytes += ProductBytes(p);
  DocumentWriter doc(bytes);
  doc.w.StartObject();
  if (!page.next_page_token().empty()) {
    WriteStringMember(doc.w, "next_page_token", page.next_page_token());
  }
  WriteJsonKey(doc.w, "products");
  doc.w.StartArray();
  for (const auto& p : page.products()) WriteProduct(doc.w, p);
  doc.w.EndArray();
  doc.w.EndObject();
  return doc.Text();
}

JsonText CategoriesText(const catalog::v1::ListCategoriesResponse& reply) {
  DocumentWriter doc(64 + 64 * reply.categories_size());
  doc.w.StartObject();
  WriteJsonKey(doc.w, "categories");
  doc.w.StartArray();
  for (const auto& c : reply.categories()) {
    doc.w.StartObject();
    WriteStringMember(doc.w, "id", c.id());
    WriteStringMember(doc.w, "name", c.name());
    doc.w.EndObject();
  }
  doc.w.EndArray();
  doc.w.EndObject();
  return doc.Text();
}

namespace {

void WriteCartLine(JsonWriter& w, const cart::v1::CartLine& line) {
  w.StartObject();
  WriteIntMember(w, "available_stock", line.available_stock());
  WriteStringMember(w, "image_url", line.image_url());
  WriteMoneyMember(w, "line_total", line.line_total());
  WriteStringMember(w, "name", line.name());
  WriteStringMember(w, "product_id", line.product_id());
  WriteIntMember(w, "quantity", line.quantity());
  WriteMoneyMember(w, "unit_price", line.unit_price());
  w.EndObject();
}

}  // namespace

JsonText CartText(const cart::v1::Cart& cart) {
  DocumentWriter doc(64 + 256 * cart.items_size());
  doc.w.StartObject();
  WriteJsonKey(doc.w, "items");
  doc.w.StartArray();
  for (const auto& line : cart.items()) WriteCartLine(doc.w, line);
  doc.w.EndArray();
  WriteMoneyMember(doc.w, "subtotal", cart.subtotal());
  doc.w.EndObject();
  return doc.Text();
}

Json MoneyJson(const common::v1::Money& money) {
  Json out = Json::object();
  out["amount"] = money.amount();
  out["currency"] = money.currency();
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
  for (const auto& line : o.items()) {
    Json& item = items.emplace_back(Json::object());
    item["product_id"] = line.product_id();
    item["name"] = line.name();
    item["quantity"] = line.quantity();
    item["unit_price"] = MoneyJson(line.unit_price());
    item["line_total"] = MoneyJson(line.line_total());
  }
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

HttpResponse JsonResponse(unsigned status, JsonText body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body).str();
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
