// Cart routes. A signed-in caller (AuthPolicy::kOptional fills CurrentCall().user_id; the
// access token travels to the cart service, which verifies it) acts on their own cart; anyone else
// on the guest cart named by the mercato_cart cookie, which is issued on the first add and signed
// (cart_cookie.h): a cookie the gateway did not issue is ignored.
//
//   GET    /api/v1/cart                          the cart, priced now
//   POST   /api/v1/cart/items                    {"product_id","quantity"} adds to the line
//   PATCH  /api/v1/cart/items/{product_id}       {"quantity"} sets the line's quantity
//   DELETE /api/v1/cart/items/{product_id}       removes the line
//   DELETE /api/v1/cart                          empties the cart
//
// Every route answers 200 with the cart:
//   {"items":[{"product_id","name","quantity","unit_price":{"amount","currency"},
//              "line_total":{...},"image_url","available_stock"}],
//    "subtotal":{"amount","currency"}}
// Quantity rules, product checks and their error codes are the cart service's.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <limits>

#include "common/call_context.h"
#include "common/logging.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/cart_cookie.h"
#include "gateway/cookies.h"
#include "gateway/json_codec.h"
#include "gateway/routes.h"
#include "rpc/call.h"

namespace mercato::gateway {
namespace {

constexpr char kCartCookie[] = "mercato_cart";
// As long as the cart service keeps an unused guest cart.
constexpr long long kCartCookieMaxAgeSeconds = 30LL * 24 * 60 * 60;

// Behind a TLS-terminating proxy the cookie is marked Secure.
bool IsHttps(const HttpRequest& request) { return request.Header("x-forwarded-proto") == "https"; }

std::string CartCookie(const std::string& value, bool secure) {
  return FormatSetCookie({.name = kCartCookie,
                          .value = value,
                          .max_age_seconds = kCartCookieMaxAgeSeconds,
                          .secure = secure});
}

std::string ClearedCartCookie(bool secure) {
  return FormatSetCookie(
      {.name = kCartCookie, .value = "", .max_age_seconds = 0, .secure = secure});
}

absl::Status BadField(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

// The body's "quantity": an integer. Its range is the cart service's to check; values beyond
// int32 are saturated so that they are refused there with the one range message.
absl::StatusOr<int32_t> QuantityOf(const Json& body) {
  auto it = body.find("quantity");
  if (it == body.end() || !it->is_number_integer()) {
    return BadField("invalid_quantity", "quantity must be an integer");
  }
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    return v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
               ? std::numeric_limits<int32_t>::max()
               : static_cast<int32_t>(v);
  }
  const int64_t v = it->get<int64_t>();
  if (v > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (v < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

absl::StatusOr<std::string> ProductIdOf(const Json& body) {
  auto it = body.find("product_id");
  if (it == body.end() || !it->is_string()) {
    return BadField("invalid_product_id", "product_id must be a string");
  }
  return it->get<std::string>();
}

// Which cart a request acts on, as the cart service is told, and the cookie the response
// sets (none when empty). A signed-in caller's cart comes from their identity: no guest id is
// sent. A guest's cookie is sent again on every success so that it lives as long as the cart.
struct GuestCart {
  std::string id;
  std::string cookie;
};

GuestCart GuestCartOf(const std::string& key, const HttpRequest& request, bool issue_when_missing) {
  if (!CurrentCall().user_id.empty()) return {};
  // An unsigned, forged or truncated cookie is ignored: the caller has no cart yet.
  if (auto cookie = FindCookie(request, kCartCookie)) {
    if (auto id = VerifyGuestCartCookie(key, *cookie)) return {*std::move(id), *std::move(cookie)};
  }
  if (!issue_when_missing) return {};
  std::string id = NewGuestCartId();
  std::string cookie = SignGuestCartId(key, id);
  return {std::move(id), std::move(cookie)};
}

using CartAsync = cart::v1::CartService::StubInterface::async_interface;

// Calls one CartService method and answers with the cart (plus the guest cookie).
template <typename Request>
void CallCart(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
              AsyncUnaryMethod<CartAsync, Request, cart::v1::Cart> method, Request request,
              bool issue_cookie, Respond respond) {
  GuestCart guest = GuestCartOf(config.cart_cookie_key, http, issue_cookie);
  request.set_guest_cart_id(guest.id);
  std::string cookie =
      guest.cookie.empty() ? std::string() : CartCookie(guest.cookie, IsHttps(http));
  CallBackend(
      backends.cart->async(), method, std::move(request), config.rpc_timeout,
      [cookie = std::move(cookie)](const absl::StatusOr<cart::v1::Cart>& reply) {
        HttpResponse response =
            reply.ok() ? JsonResponse(200, CartText(*reply)) : ErrorResponse(reply.status());
        response.Header("Cache-Control", "no-store");
        if (reply.ok() && !cookie.empty()) response.Header("Set-Cookie", cookie);
        return response;
      },
      std::move(respond));
}

void GetCart(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
             Respond respond) {
  CallCart(backends, config, http, &CartAsync::GetCart, cart::v1::GetCartRequest(),
           /*issue_cookie=*/false, std::move(respond));
}

void AddItem(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
             Respond respond) {
  auto body = ParseJsonObject(http);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  auto product_id = ProductIdOf(*body);
  if (!product_id.ok()) return respond(ErrorResponse(product_id.status()));
  auto quantity = QuantityOf(*body);
  if (!quantity.ok()) return respond(ErrorResponse(quantity.status()));
  cart::v1::AddItemRequest rpc;
  rpc.set_product_id(*std::move(product_id));
  rpc.set_quantity(*quantity);
  CallCart(backends, config, http, &CartAsync::AddItem, std::move(rpc), /*issue_cookie=*/true,
           std::move(respond));
}

void UpdateItem(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
                Respond respond) {
  auto body = ParseJsonObject(http);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  auto quantity = QuantityOf(*body);
  if (!quantity.ok()) return respond(ErrorResponse(quantity.status()));
  cart::v1::UpdateItemRequest rpc;
  rpc.set_product_id(http.Param("product_id"));
  rpc.set_quantity(*quantity);
  CallCart(backends, config, http, &CartAsync::UpdateItem, std::move(rpc),
           /*issue_cookie=*/false, std::move(respond));
}

void RemoveItem(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
                Respond respond) {
  cart::v1::RemoveItemRequest rpc;
  rpc.set_product_id(http.Param("product_id"));
  CallCart(backends, config, http, &CartAsync::RemoveItem, std::move(rpc),
           /*issue_cookie=*/false, std::move(respond));
}

void ClearCart(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
               Respond respond) {
  CallCart(backends, config, http, &CartAsync::ClearCart, cart::v1::ClearCartRequest(),
           /*issue_cookie=*/false, std::move(respond));
}

}  // namespace

void RegisterCartRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  using Fn = void (*)(Backends&, const GatewayConfig&, const HttpRequest&, Respond);
  auto add = [&](http::verb verb, const char* pattern, Fn fn) {
    router.Add(verb, pattern,
               [&backends, &config, fn](const HttpRequest& r, Respond done) {
                 fn(backends, config, r, std::move(done));
               },
               {.auth = AuthPolicy::kOptional});
  };
  add(http::verb::get, "/api/v1/cart", &GetCart);
  add(http::verb::delete_, "/api/v1/cart", &ClearCart);
  add(http::verb::post, "/api/v1/cart/items", &AddItem);
  add(http::verb::patch, "/api/v1/cart/items/{product_id}", &UpdateItem);
  add(http::verb::delete_, "/api/v1/cart/items/{product_id}", &RemoveItem);
}

void MergeGuestCartAfterSignIn(Backends& backends, const GatewayConfig& config,
                               const HttpRequest& request, const Identity& signed_in,
                               HttpResponse response, Respond respond) {
  auto cookie = FindCookie(request, kCartCookie);
  if (!cookie) return respond(std::move(response));
  const bool secure = IsHttps(request);
  // Only a cart the gateway issued is merged: never one whose id someone else chose.
  auto guest_id = VerifyGuestCartCookie(config.cart_cookie_key, *cookie);
  if (!guest_id) {
    response.Header("Set-Cookie", ClearedCartCookie(secure));
    return respond(std::move(response));
  }
  // The call is made as the user who just signed in (the request itself is anonymous).
  CallContext as_user = CurrentCall();
  as_user.user_id = signed_in.user_id;
  as_user.user_role = signed_in.role;
  as_user.access_token = signed_in.access_token;
  ScopedCallContext scope(std::move(as_user));
  cart::v1::MergeGuestCartRequest rpc;
  rpc.set_guest_cart_id(*guest_id);
  CallUnaryAsync(
      backends.cart->async(), &CartAsync::MergeGuestCart, std::move(rpc), config.rpc_timeout,
      [secure, response = std::move(response),
       respond = std::move(respond)](absl::StatusOr<cart::v1::Cart> merged) mutable {
        if (merged.ok()) {
          response.Header("Set-Cookie", ClearedCartCookie(secure));
        } else {
          // The cookie stays, so that the next sign-in tries again.
          spdlog::warn("merging the guest cart after sign-in failed: {}", merged.status());
        }
        respond(std::move(response));
      });
}

}  // namespace mercato::gateway
