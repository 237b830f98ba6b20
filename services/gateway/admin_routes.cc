// Admin routes for products and stock (issue #4):
//
//   POST  /api/v1/admin/products       {"name","price":{"amount","currency"}, and optionally
//                                       "description","categories","image_url","stock"}
//                                      -> 201 Product
//   PATCH /api/v1/admin/products/{id}  any non-empty subset of those fields -> 200 Product
//
// "stock" in a request is the quantity on hand (units in the warehouse, those held by pending
// orders included); the Product answered has "stock" (what can be bought: on hand minus
// held), "on_hand" and "reserved". Setting fewer on hand than are held is 409
// stock_below_reserved.
//
// Role "admin" only: 401 without a signed-in caller, 403 for any other role (the catalog
// checks the role again). The body's shape is checked strictly here: an unknown field, a
// wrong type or a negative number is a 400 whose code names the field ("invalid_price",
// "unknown_field", ...). Lengths, the currency code and the categories' existence are the
// catalog's to check; its INVALID_ARGUMENT carries the same kind of code.
//
// Refunds (issue #14):
//
//   POST  /api/v1/admin/orders/{id}/refunds   header Idempotency-Key (required, as for
//        checkout), body {"lines":[{"product_id","quantity"}]} | {"amount":{"amount",
//        "currency"}} | {} (everything not refunded yet), and optionally "reason"
//        (order_requests.h) -> 200 Order with "history". Errors: 400 idempotency_key_required /
//        invalid_idempotency_key / invalid_json / invalid_field / unknown_field /
//        missing_field / invalid_refund; 404 unknown order; 409 refund_exceeds_capture /
//        order_not_refundable; 422 idempotency_key_reused (the key with another request).
//        A repeat with the same key and body answers the order and moves no money again.
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/status.h"
#include "gateway/auth.h"
#include "gateway/backend_call.h"
#include "gateway/json_codec.h"
#include "gateway/order_requests.h"
#include "gateway/routes.h"

namespace mercato::gateway {
namespace {

using catalog::v1::Product;
using catalog::v1::UpsertProductRequest;

absl::Status BadAdminField(const std::string& field, absl::string_view problem) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, absl::StrCat("invalid_", field),
                       absl::StrCat(field, " ", problem));
}

absl::StatusOr<std::string> StringField(const Json& value, const std::string& field) {
  if (!value.is_string()) return BadAdminField(field, "must be a string");
  return value.get<std::string>();
}

// A JSON integer >= 0 that fits int64 (nlohmann parses non-negative integers as unsigned).
absl::StatusOr<int64_t> NonNegativeInteger(const Json& value, const std::string& field) {
  if (value.is_number_unsigned()) {
    const uint64_t n = value.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return BadAdminField(field, "is too large");
    }
    return static_cast<int64_t>(n);
  }
  if (value.is_number_integer()) return BadAdminField(field, "must not be negative");
  return BadAdminField(field, "must be an integer");
}

absl::Status ParsePrice(const Json& value, Product& product) {
  if (!value.is_object()) {
    return BadAdminField("price",
                         "must be an object {\"amount\": minor units, \"currency\": \"USD\"}");
  }
  for (const auto& [key, v] : value.items()) {
    if (key != "amount" && key != "currency") {
      return BadAdminField("price", absl::StrCat("has an unknown field '", key, "'"));
    }
  }
  if (!value.contains("amount") || !value.contains("currency")) {
    return BadAdminField("price", "needs both amount and currency");
  }
  auto amount = NonNegativeInteger(value["amount"], "price");
  if (!amount.ok()) return amount.status();
  if (!value["currency"].is_string()) return BadAdminField("price", "currency must be a string");
  product.mutable_price()->set_amount(*amount);
  product.mutable_price()->set_currency(value["currency"].get<std::string>());
  return absl::OkStatus();
}

// The body as an UpsertProduct request: every field present goes into the product and the
// update mask. A new product needs at least a name and a price.
absl::StatusOr<UpsertProductRequest> ParseProductBody(const Json& body, bool create) {
  UpsertProductRequest request;
  Product& product = *request.mutable_product();
  for (const auto& [key, value] : body.items()) {
    if (key == "name" || key == "description" || key == "image_url") {
      auto text = StringField(value, key);
      if (!text.ok()) return text.status();
      if (key == "name") product.set_name(*std::move(text));
      if (key == "description") product.set_description(*std::move(text));
      if (key == "image_url") product.set_image_url(*std::move(text));
    } else if (key == "price") {
      if (absl::Status s = ParsePrice(value, product); !s.ok()) return s;
    } else if (key == "stock") {
      auto stock = NonNegativeInteger(value, key);
      if (!stock.ok()) return stock.status();
      product.set_stock(*stock);
    } else if (key == "categories") {
      if (!value.is_array()) return BadAdminField(key, "must be an array of category ids");
      for (const auto& c : value) {
        if (!c.is_string()) return BadAdminField(key, "must be an array of category ids");
        product.add_categories(c.get<std::string>());
      }
    } else {
      return ErrorWithCode(absl::StatusCode::kInvalidArgument, "unknown_field",
                           absl::StrCat("unknown field '", key,
                                        "'; allowed: name, description, price, stock, "
                                        "categories, image_url"));
    }
    request.mutable_update_mask()->add_paths(key);
  }
  if (create) {
    if (!body.contains("name")) return BadAdminField("name", "is required");
    if (!body.contains("price")) return BadAdminField("price", "is required");
    request.clear_update_mask();  // a new product has every field
  } else if (request.update_mask().paths_size() == 0) {
    // An empty mask would mean "every field" to the catalog.
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "empty_update",
                         "the body must name at least one field to change");
  }
  return request;
}

// 401 / 403 unless the caller is a signed-in admin. The auth middleware (auth.h) answers 401
// itself for routes with AuthPolicy::kRequired; the 401 here is a second line of defence,
// the role check is this route's own.
std::optional<HttpResponse> RefuseNonAdmin() {
  const CallContext& call = CurrentCall();
  if (call.user_id.empty()) {
    return UnauthorizedResponse(ErrorWithCode(absl::StatusCode::kUnauthenticated,
                                              "authentication_required",
                                              "sign in: this needs an admin's access token"));
  }
  if (call.user_role != "admin") {
    return ErrorResponse(absl::PermissionDeniedError("admin role required"));
  }
  return std::nullopt;
}

void UpsertProduct(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                   bool create, Respond respond) {
  if (auto refused = RefuseNonAdmin()) return respond(*std::move(refused));
  auto body = ParseJsonObject(request);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  auto rpc = ParseProductBody(*body, create);
  if (!rpc.ok()) return respond(ErrorResponse(rpc.status()));
  if (!create) rpc->mutable_product()->set_id(request.Param("id"));
  using CatalogAsync = catalog::v1::CatalogService::StubInterface::async_interface;
  CallBackend(
      backends.catalog->async(), &CatalogAsync::UpsertProduct, *std::move(rpc), config.rpc_timeout,
      [create](const absl::StatusOr<Product>& product) {
        if (!product.ok()) return ErrorResponse(product.status());
        return JsonResponse(create ? 201 : 200, ProductText(*product, /*with_stock_detail=*/true));
      },
      std::move(respond));
}

void RefundOrder(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                 Respond respond) {
  if (auto refused = RefuseNonAdmin()) return respond(*std::move(refused));
  const std::string key(request.Header("idempotency-key"));
  if (absl::Status s = CheckIdempotencyKey(key); !s.ok()) return respond(ErrorResponse(s));
  auto body = ParseJsonObject(request);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  auto rpc = ParseRefundBody(*body);
  if (!rpc.ok()) return respond(ErrorResponse(rpc.status()));
  rpc->set_order_id(request.Param("id"));
  rpc->set_idempotency_key(key);
  using CheckoutAsync = checkout::v1::CheckoutService::StubInterface::async_interface;
  // Payment's refund runs inside the call: the whole request's budget.
  CallBackend(
      backends.checkout->async(), &CheckoutAsync::RefundOrder, *std::move(rpc),
      config.request_timeout,
      [](const absl::StatusOr<checkout::v1::Order>& order) {
        HttpResponse response = order.ok()
                                    ? JsonResponse(200, OrderJson(*order, /*with_history=*/true))
                                    : ErrorResponse(order.status());
        response.Header("Cache-Control", "no-store");
        return response;
      },
      std::move(respond));
}

}  // namespace

void RegisterAdminRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  router.Add(http::verb::post, "/api/v1/admin/products",
             [&](const HttpRequest& r, Respond done) {
               UpsertProduct(backends, config, r, /*create=*/true, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
  router.Add(http::verb::patch, "/api/v1/admin/products/{id}",
             [&](const HttpRequest& r, Respond done) {
               UpsertProduct(backends, config, r, /*create=*/false, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
  router.Add(http::verb::post, "/api/v1/admin/orders/{id}/refunds",
             [&](const HttpRequest& r, Respond done) {
               RefundOrder(backends, config, r, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
}

}  // namespace mercato::gateway
