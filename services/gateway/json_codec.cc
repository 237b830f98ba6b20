#include "gateway/json_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/status.h"

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
