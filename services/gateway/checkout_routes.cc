// Checkout and order routes. Every route needs a signed-in caller (AuthPolicy::kRequired);
// the checkout service acts for the user of the shopper's access token, which the gateway
// forwards (NewClientContext).
//
//   POST /api/v1/checkout        header Idempotency-Key (required), body
//        {"shipping_address":{"name","line1","line2","city","region","postal_code","country"}
//         | "address_id":"<saved address>",
//         "payment":{"card":{"number","exp_month","exp_year","cvc"}}}
//        -> 201 Order. Errors: 400 idempotency_key_required / invalid_idempotency_key /
//        invalid_json / missing_field / invalid_field / unknown_field / cart_empty /
//        invalid_card / card_expired; 402 payment_declined / insufficient_funds;
//        404 address_not_found; 409 out_of_stock / in_progress / checkout_interrupted;
//        422 idempotency_key_reused; 503 order_pending (repeat with the same key).
//   GET  /api/v1/orders          ?page_size=1..100&page_token=... -> {"orders":[...],
//                                "next_page_token"} newest first
//   GET  /api/v1/orders/{id}     -> Order with "history"; 404 unless it is the caller's
//   POST /api/v1/orders/{id}/cancel   no body (or {}) -> 200 Order with "history" (status
//                                cancelling or cancelled); 404 unless it is the caller's;
//                                409 order_not_cancellable (pending, failed, shipped, ...).
//                                Repeating it for a cancelled order answers the order again.
//
// Order (json_codec.h): {"id","status":"pending|paid|failed|fulfilling|shipped|delivered|
//   cancelling|cancelled|refunded|partially_refunded","items":[{"product_id","name",
//   "quantity","unit_price","line_total"}],"subtotal","shipping","tax","total" (money as
//   {"amount","currency"}, minor units),"shipping_address":{...},"failure_code",
//   "card_brand","card_last4","created_at","timeline":[{"status","at","carrier"?,
//   "tracking_number"?,"amount"?}],"cancellable","refunded"}
//
// Idempotency as Stripe does it: the checkout service keeps the first outcome per (user,
// Idempotency-Key) with a fingerprint of the request body, and answers a repeat with that
// outcome (the order, or the same error), a different body with 422, and a repeat while the
// first is running with 409 in_progress. The fingerprint is a keyed BLAKE2b
// (crypto_generichash) of the body in canonical form (parsed, keys sorted, no whitespace), so
// that formatting does not matter; the key is derived from MERCATO_SERVICE_KEY, and the hash
// of a body that holds a card number cannot be tested against guessed numbers without it.
//
// The card goes straight to the checkout service (and from there to payment only); no log
// line, error message or stored row here ever holds its number or CVC.
#include <sodium.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/limits.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/json_codec.h"
#include "gateway/json_fields.h"
#include "gateway/order_requests.h"
#include "gateway/routes.h"

namespace mercato::gateway {
namespace {

using checkout::v1::Order;

constexpr size_t kMaxAddressIdLength = 64;

// The BLAKE2b key of the request fingerprints, derived from the gateway's private key (the
// same in every replica; secret).
struct FingerprintKey {
  unsigned char bytes[crypto_generichash_KEYBYTES];
};

FingerprintKey DeriveFingerprintKey(const auth::SigningKey& gateway_key) {
  static constexpr char kPurpose[] = "mercato/checkout/idempotency-fingerprint/v1";
  const std::string& secret = gateway_key.pem();
  FingerprintKey key;
  crypto_generichash(key.bytes, sizeof key.bytes,
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     reinterpret_cast<const unsigned char*>(kPurpose), sizeof(kPurpose) - 1);
  return key;
}

std::string Fingerprint(const FingerprintKey& key, const Json& body) {
  const std::string canonical = body.dump();
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(canonical.data()),
                     canonical.size(), key.bytes, sizeof key.bytes);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string(hex, sizeof hash * 2);
}

bool AllDigits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// payment.card. Formats only; Luhn, expiry and brand are the payment service's to check.
// Messages name the field and never repeat what was sent.
absl::StatusOr<common::v1::Card> ParseCard(const Json& payment) {
  if (!payment.is_object()) return InvalidField("payment", "an object");
  if (auto s = OnlyFields(payment, "payment", {"card"}); !s.ok()) return s;
  auto it = payment.find("card");
  if (it == payment.end() || it->is_null()) return MissingField("payment.card");
  const Json& card = *it;
  if (!card.is_object()) return InvalidField("payment.card", "an object");
  if (auto s = OnlyFields(card, "payment.card", {"number", "exp_month", "exp_year", "cvc"});
      !s.ok()) {
    return s;
  }
  common::v1::Card out;
  auto number = StringField(card, "number", "payment.card.number", Presence::kRequiredNonEmpty);
  if (!number.ok()) return number.status();
  if (number->size() < 12 || number->size() > 19 || !AllDigits(*number)) {
    return InvalidField("payment.card.number", "a string of 12 to 19 digits");
  }
  out.set_number(*std::move(number));
  auto month = IntField(card, "exp_month", "payment.card.exp_month", 1, 12);
  if (!month.ok()) return month.status();
  out.set_exp_month(*month);
  auto year = IntField(card, "exp_year", "payment.card.exp_year", 2000, 2199);
  if (!year.ok()) return year.status();
  out.set_exp_year(*year);
  auto cvc = StringField(card, "cvc", "payment.card.cvc", Presence::kRequiredNonEmpty);
  if (!cvc.ok()) return cvc.status();
  if (cvc->size() < 3 || cvc->size() > 4 || !AllDigits(*cvc)) {
    return InvalidField("payment.card.cvc", "a string of 3 or 4 digits");
  }
  out.set_cvc(*std::move(cvc));
  return out;
}

struct CheckoutBody {
  common::v1::Address address;  // when no address_id
  std::string address_id;
  common::v1::Card card;
};

absl::StatusOr<CheckoutBody> ParseCheckoutBody(const Json& body) {
  if (auto s = OnlyFields(body, "", {"shipping_address", "address_id", "payment"}); !s.ok()) {
    return s;
  }
  CheckoutBody out;
  const bool has_address = body.contains("shipping_address") && !body["shipping_address"].is_null();
  const bool has_address_id = body.contains("address_id") && !body["address_id"].is_null();
  if (has_address && has_address_id) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_field",
                         "give either 'shipping_address' or 'address_id', not both");
  }
  if (!has_address && !has_address_id) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "missing_field",
                         "'shipping_address' or 'address_id' is required");
  }
  if (has_address) {
    auto address = AddressFromJson(body["shipping_address"], "shipping_address",
                                   Presence::kRequiredNonEmpty, /*allow_id=*/false);
    if (!address.ok()) return address.status();
    out.address = *std::move(address);
  } else {
    auto id = StringField(body, "address_id", "address_id", Presence::kRequiredNonEmpty);
    if (!id.ok()) return id.status();
    if (id->size() > kMaxAddressIdLength) {
      return InvalidField("address_id",
                          absl::StrCat("at most ", kMaxAddressIdLength, " characters"));
    }
    out.address_id = *std::move(id);
  }
  auto payment = body.find("payment");
  if (payment == body.end() || payment->is_null()) return MissingField("payment");
  auto card = ParseCard(*payment);
  if (!card.ok()) return card.status();
  out.card = *std::move(card);
  return out;
}

HttpResponse NoStore(HttpResponse response) {
  response.Header("Cache-Control", "no-store");
  return response;
}

using CheckoutAsync = checkout::v1::CheckoutService::StubInterface::async_interface;
using UserAsync = user::v1::UserService::StubInterface::async_interface;

void CallPlaceOrder(Backends& backends, const GatewayConfig& config,
                    checkout::v1::PlaceOrderRequest rpc, Respond respond) {
  // The saga may take longer than one ordinary backend call: the whole request's budget.
  CallBackend(
      backends.checkout->async(), &CheckoutAsync::PlaceOrder, std::move(rpc),
      config.request_timeout,
      [](const absl::StatusOr<Order>& order) {
        if (!order.ok()) return NoStore(ErrorResponse(order.status()));
        HttpResponse response = JsonResponse(201, OrderJson(*order, /*with_history=*/false));
        response.Header("Location", absl::StrCat("/api/v1/orders/", order->id()));
        return NoStore(std::move(response));
      },
      std::move(respond));
}

void PlaceOrder(Backends& backends, const GatewayConfig& config, const FingerprintKey& key,
                const HttpRequest& http, Respond respond) {
  const std::string idempotency_key(http.Header("idempotency-key"));
  if (absl::Status s = CheckIdempotencyKey(idempotency_key); !s.ok()) {
    return respond(ErrorResponse(s));
  }
  auto body = ParseJsonObject(http);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  auto parsed = ParseCheckoutBody(*body);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));

  checkout::v1::PlaceOrderRequest rpc;
  rpc.set_idempotency_key(idempotency_key);
  rpc.set_request_fingerprint(Fingerprint(key, *body));
  *rpc.mutable_card() = std::move(parsed->card);
  if (parsed->address_id.empty()) {
    *rpc.mutable_shipping_address() = std::move(parsed->address);
    return CallPlaceOrder(backends, config, std::move(rpc), std::move(respond));
  }

  // A saved address, looked up as the caller: someone else's id is 404 address_not_found.
  user::v1::GetAddressRequest lookup;
  lookup.set_id(parsed->address_id);
  CallUnaryAsync(
      backends.user->async(), &UserAsync::GetAddress, std::move(lookup), config.rpc_timeout,
      [rpc = std::move(rpc), &backends, &config,
       respond = std::move(respond)](absl::StatusOr<common::v1::Address> address) mutable {
        if (!address.ok()) return respond(NoStore(ErrorResponse(address.status())));
        *rpc.mutable_shipping_address() = *std::move(address);
        CallPlaceOrder(backends, config, std::move(rpc), std::move(respond));
      });
}

void ListOrders(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
                Respond respond) {
  checkout::v1::ListOrdersRequest rpc;
  if (auto size = http.Query("page_size")) {
    int value = 0;
    if (!absl::SimpleAtoi(*size, &value) || value < 1 || value > kMaxPageSize) {
      return respond(
          ErrorResponse(400, "invalid_page_size",
                        absl::StrCat("page_size must be an integer from 1 to ", kMaxPageSize)));
    }
    rpc.set_page_size(value);
  }
  if (auto token = http.Query("page_token")) rpc.set_page_token(*token);
  CallBackend(
      backends.checkout->async(), &CheckoutAsync::ListOrders, std::move(rpc), config.rpc_timeout,
      [](const auto& reply) {
        if (!reply.ok()) return NoStore(ErrorResponse(reply.status()));
        Json out = Json::object();
        Json& orders = out["orders"] = Json::array();
        orders.get_ref<Json::array_t&>().reserve(reply->orders_size());
        for (const auto& o : reply->orders()) {
          FillOrderJson(o, orders.emplace_back(Json::object()), /*with_history=*/false);
        }
        out["next_page_token"] = reply->next_page_token();
        return NoStore(JsonResponse(200, out));
      },
      std::move(respond));
}

void GetOrder(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
              Respond respond) {
  checkout::v1::GetOrderRequest rpc;
  rpc.set_id(http.Param("id"));
  CallBackend(
      backends.checkout->async(), &CheckoutAsync::GetOrder, std::move(rpc), config.rpc_timeout,
      [](const absl::StatusOr<Order>& order) {
        if (!order.ok()) return NoStore(ErrorResponse(order.status()));
        return NoStore(JsonResponse(200, OrderJson(*order, /*with_history=*/true)));
      },
      std::move(respond));
}

void CancelOrder(Backends& backends, const GatewayConfig& config, const HttpRequest& http,
                 Respond respond) {
  if (absl::Status s = CheckEmptyBody(http); !s.ok()) return respond(NoStore(ErrorResponse(s)));
  checkout::v1::CancelOrderRequest rpc;
  rpc.set_id(http.Param("id"));
  // The refund and the stock's return run inside the call: the whole request's budget.
  CallBackend(
      backends.checkout->async(), &CheckoutAsync::CancelOrder, std::move(rpc),
      config.request_timeout,
      [](const absl::StatusOr<Order>& order) {
        if (!order.ok()) return NoStore(ErrorResponse(order.status()));
        return NoStore(JsonResponse(200, OrderJson(*order, /*with_history=*/true)));
      },
      std::move(respond));
}

}  // namespace

void RegisterCheckoutRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  if (sodium_init() < 0) std::abort();             // no libsodium: nothing safe can be done
  if (!config.identity.service_key) std::abort();  // LoadGatewayConfig requires it
  auto key =
      std::make_shared<const FingerprintKey>(DeriveFingerprintKey(*config.identity.service_key));
  router.Add(http::verb::post, "/api/v1/checkout",
             [&backends, &config, key](const HttpRequest& r, Respond done) {
               PlaceOrder(backends, config, *key, r, std::move(done));
             },
             {.auth = AuthPolicy::kRequired, .limits = {RouteLimit::kCheckout}});
  router.Add(http::verb::get, "/api/v1/orders",
             [&backends, &config](const HttpRequest& r, Respond done) {
               ListOrders(backends, config, r, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
  router.Add(http::verb::get, "/api/v1/orders/{id}",
             [&backends, &config](const HttpRequest& r, Respond done) {
               GetOrder(backends, config, r, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
  router.Add(http::verb::post, "/api/v1/orders/{id}/cancel",
             [&backends, &config](const HttpRequest& r, Respond done) {
               CancelOrder(backends, config, r, std::move(done));
             },
             {.auth = AuthPolicy::kRequired});
}

}  // namespace mercato::gateway
