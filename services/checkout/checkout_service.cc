#include "checkout/checkout_service.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/status.h"
#include "rpc/handler.h"

namespace mercato::checkout {
namespace {

constexpr char kPageTokenPrefix[] = "orders:v1:";

absl::Status OrderNotFound() {
  return ErrorWithCode(absl::StatusCode::kNotFound, "order_not_found", "no such order");
}

// The shopper's own calls come through the gateway only (the fulfillment service's token is
// good for RecordFulfillment alone).
absl::StatusOr<std::string> RequireShopper() {
  if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
  return RequireSignedIn();
}

absl::Status SetOrder(absl::StatusOr<v1::Order> order, v1::Order* response) {
  if (!order.ok()) return order.status();
  *response = *std::move(order);
  return absl::OkStatus();
}

}  // namespace

std::string EncodePageToken(int64_t seq) {
  return absl::WebSafeBase64Escape(absl::StrCat(kPageTokenPrefix, seq));
}

std::optional<int64_t> DecodePageToken(const std::string& token) {
  std::string raw;
  if (token.size() > 64 || !absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
  if (!absl::StartsWith(raw, kPageTokenPrefix)) return std::nullopt;
  int64_t seq = 0;
  if (!absl::SimpleAtoi(raw.substr(sizeof(kPageTokenPrefix) - 1), &seq) || seq <= 0) {
    return std::nullopt;
  }
  return seq;
}

absl::Status CheckoutService::DoPlaceOrder(const v1::PlaceOrderRequest& request,
                                           v1::Order* response) {
  auto user_id = RequireShopper();
  if (!user_id.ok()) return user_id.status();
  auto order = saga_.PlaceOrder(*user_id, request);
  if (!order.ok()) return order.status();
  *response = *std::move(order);
  return absl::OkStatus();
}

absl::Status CheckoutService::DoGetOrder(const v1::GetOrderRequest& request, v1::Order* response) {
  auto user_id = RequireShopper();
  if (!user_id.ok()) return user_id.status();
  auto record = store_.GetOrder(request.id());
  if (!record.ok()) {
    return record.status().code() == absl::StatusCode::kNotFound ? OrderNotFound()
                                                                 : record.status();
  }
  // Another user's order does not exist as far as this caller can tell.
  if (record->order.user_id() != *user_id) return OrderNotFound();
  *response = std::move(record->order);
  return absl::OkStatus();
}

absl::Status CheckoutService::DoListOrders(const v1::ListOrdersRequest& request,
                                           v1::ListOrdersResponse* response) {
  auto user_id = RequireShopper();
  if (!user_id.ok()) return user_id.status();
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_page_size",
                         absl::StrCat("page_size must be between 1 and ", kMaxPageSize));
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  int64_t before = 0;
  if (!request.page_token().empty()) {
    auto seq = DecodePageToken(request.page_token());
    if (!seq) {
      return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_page_token",
                           "page_token is not a token this API issued");
    }
    before = *seq;
  }
  // One more than asked for tells whether there is a next page.
  auto records = store_.ListOrders(*user_id, page_size + 1, before);
  if (!records.ok()) return records.status();
  const bool more = static_cast<int>(records->size()) > page_size;
  if (more) records->resize(page_size);
  for (auto& r : *records) *response->add_orders() = std::move(r.order);
  if (more) response->set_next_page_token(EncodePageToken(records->back().seq));
  return absl::OkStatus();
}

absl::Status CheckoutService::DoCancelOrder(const v1::CancelOrderRequest& request,
                                            v1::Order* response) {
  auto user_id = RequireShopper();
  if (!user_id.ok()) return user_id.status();
  // An accepted cancel is finished whatever the caller's deadline (recovery otherwise).
  CallContext context = CurrentCall();
  context.deadline = std::chrono::system_clock::time_point::max();
  ScopedCallContext scope(std::move(context));
  return SetOrder(lifecycle_.Cancel(*user_id, request.id()), response);
}

absl::Status CheckoutService::DoRefundOrder(const v1::RefundOrderRequest& request,
                                            v1::Order* response) {
  if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
  if (absl::Status s = RequireAdmin(); !s.ok()) return s;
  CallContext context = CurrentCall();
  context.deadline = std::chrono::system_clock::time_point::max();
  ScopedCallContext scope(std::move(context));
  return SetOrder(lifecycle_.Refund(request), response);
}

absl::Status CheckoutService::DoRecordFulfillment(const v1::RecordFulfillmentRequest& request,
                                                  v1::Order* response) {
  if (absl::Status s = RequireCaller({"fulfillment"}); !s.ok()) return s;
  return SetOrder(lifecycle_.RecordFulfillment(request), response);
}

grpc::ServerUnaryReactor* CheckoutService::PlaceOrder(grpc::CallbackServerContext* ctx,
                                                      const v1::PlaceOrderRequest* request,
                                                      v1::Order* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoPlaceOrder(*request, response); });
}

grpc::ServerUnaryReactor* CheckoutService::GetOrder(grpc::CallbackServerContext* ctx,
                                                    const v1::GetOrderRequest* request,
                                                    v1::Order* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoGetOrder(*request, response); });
}

grpc::ServerUnaryReactor* CheckoutService::ListOrders(grpc::CallbackServerContext* ctx,
                                                      const v1::ListOrdersRequest* request,
                                                      v1::ListOrdersResponse* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoListOrders(*request, response); });
}

grpc::ServerUnaryReactor* CheckoutService::CancelOrder(grpc::CallbackServerContext* ctx,
                                                       const v1::CancelOrderRequest* request,
                                                       v1::Order* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoCancelOrder(*request, response); });
}

grpc::ServerUnaryReactor* CheckoutService::RefundOrder(grpc::CallbackServerContext* ctx,
                                                       const v1::RefundOrderRequest* request,
                                                       v1::Order* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoRefundOrder(*request, response); });
}

grpc::ServerUnaryReactor* CheckoutService::RecordFulfillment(
    grpc::CallbackServerContext* ctx, const v1::RecordFulfillmentRequest* request,
    v1::Order* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoRecordFulfillment(*request, response); });
}

}  // namespace mercato::checkout
