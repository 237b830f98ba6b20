// The gateway's checkout and order routes (checkout_routes.cc) against in-process fake
// checkout and user gRPC servers on loopback ports: the PlaceOrderRequest built from the body
// (card, address, key), the keyed body fingerprint (formatting does not matter, content and
// the key do), saved addresses resolved as the caller, the caller's access token forwarded, and
// the mapping of the checkout's answers (201 Order, 402 / 409 / 422 / 503 with their codes).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>

#include "common/call_context.h"
#include "common/status.h"
#include "gateway/json_codec.h"
#include "gateway/routes.h"
#include "rpc/status_conversion.h"
#include "support/grpc_server.h"
#include "support/identity.h"

namespace mercato::gateway {
namespace {

using checkout::v1::Order;
using checkout::v1::PlaceOrderRequest;
using mercato::testing::LocalServer;

std::string Metadata(grpc::CallbackServerContext* ctx, const char* key) {
  auto it = ctx->client_metadata().find(key);
  return it == ctx->client_metadata().end() ? std::string()
                                            : std::string(it->second.data(), it->second.size());
}

// The test's stand-in for an access token (the fakes do not verify; the real backends do).
std::string TokenOf(const std::string& user_id) { return "token-of-" + user_id; }

// The user whose token the gateway forwarded, or "".
std::string ForwardedUser(grpc::CallbackServerContext* ctx) {
  const std::string header = Metadata(ctx, kAuthorizationKey);
  const std::string prefix = "Bearer " + TokenOf("");
  return header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
}

class FakeCheckout final : public checkout::v1::CheckoutService::CallbackService {
 public:
  grpc::ServerUnaryReactor* PlaceOrder(grpc::CallbackServerContext* ctx,
                                       const PlaceOrderRequest* request, Order* response) override {
    absl::Status status;
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(*request);
      user_id = ForwardedUser(ctx);
      status = error;
    }
    auto* reactor = ctx->DefaultReactor();
    if (!status.ok()) {
      reactor->Finish(ToGrpcStatus(status));
      return reactor;
    }
    response->set_id("3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
    response->set_status(checkout::v1::ORDER_STATUS_PAID);
    auto* item = response->add_items();
    item->set_product_id("p1");
    item->set_name("Knife");
    item->set_quantity(2);
    item->mutable_unit_price()->set_amount(1000);
    item->mutable_unit_price()->set_currency("USD");
    item->mutable_line_total()->set_amount(2000);
    item->mutable_line_total()->set_currency("USD");
    for (auto* m : {response->mutable_subtotal(), response->mutable_shipping(),
                    response->mutable_tax(), response->mutable_total()}) {
      m->set_currency("USD");
    }
    response->mutable_subtotal()->set_amount(2000);
    response->mutable_shipping()->set_amount(499);
    response->mutable_tax()->set_amount(160);
    response->mutable_total()->set_amount(2659);
    *response->mutable_shipping_address() = request->shipping_address();
    response->set_card_brand("visa");
    response->set_card_last4("4242");
    response->set_created_at_unix_ms(1'800'000'000'000);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::mutex mu;
  std::vector<PlaceOrderRequest> requests;
  std::string user_id;
  absl::Status error;
};

class FakeUser final : public user::v1::UserService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetAddress(grpc::CallbackServerContext* ctx,
                                       const user::v1::GetAddressRequest* request,
                                       common::v1::Address* response) override {
    auto* reactor = ctx->DefaultReactor();
    // Only "home" of user u1 exists.
    if (ForwardedUser(ctx) != "u1" || request->id() != "home") {
      reactor->Finish(ToGrpcStatus(
          ErrorWithCode(absl::StatusCode::kNotFound, "address_not_found", "no such address")));
      return reactor;
    }
    response->set_id("home");
    response->set_name("Saved Name");
    response->set_line1("9 Saved Road");
    response->set_city("Munich");
    response->set_country("DE");
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

CallContext Caller(std::string id) {
  CallContext call;
  call.request_id = "req-1";
  call.user_id = id;
  call.user_role = "customer";
  call.access_token = TokenOf(id);
  call.deadline = std::chrono::system_clock::now() + std::chrono::seconds(20);
  return call;
}

constexpr char kBody[] =
    R"({"shipping_address":{"name":"Ann","line1":"1 Main St","line2":"","city":"Berlin",)"
    R"("region":"","postal_code":"10115","country":"DE"},)"
    R"("payment":{"card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}})";

// The fake servers and the channel to them, one set for the whole suite: a call's last
// clean-up (the reply already delivered) can still be running on a gRPC thread when a test
// has its answer, so servers and channels are not torn down between tests. They are left to
// the process's exit.
struct FakeBackends {
  FakeCheckout checkout;
  FakeUser user;
  std::unique_ptr<LocalServer> server;
  Backends backends;
};

class CheckoutRoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto* fakes = new FakeBackends;
    fakes->server.reset(new LocalServer({&fakes->checkout, &fakes->user}));
    ASSERT_TRUE(fakes->server->ok());
    auto channel = fakes->server->Channel();
    fakes->backends.checkout = checkout::v1::CheckoutService::NewStub(channel);
    fakes->backends.user = user::v1::UserService::NewStub(channel);
    fakes_ = fakes;
  }
  static void TearDownTestSuite() { fakes_->server->Shutdown(); }

  void SetUp() override {
    ASSERT_NE(fakes_, nullptr);
    {
      std::lock_guard<std::mutex> lock(checkout_.mu);
      checkout_.requests.clear();
      checkout_.user_id.clear();
      checkout_.error = absl::OkStatus();
    }
    config_.rpc_timeout = std::chrono::seconds(10);
    config_.request_timeout = std::chrono::seconds(10);
    Route("gateway");
  }

  // (Re)registers the routes with the gateway key of this name (support/identity.h).
  void Route(const std::string& key_name) {
    config_.identity.service_key = testing::TestKey(key_name);
    router_ = Router();
    RegisterCheckoutRoutes(router_, backends_, config_);
  }

  HttpResponse Send(http::verb method, const std::string& path, const std::string& body,
                    const std::string& key, const std::string& user = "u1") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.segments = SplitPath(path);
    request.body = body;
    if (!key.empty()) request.headers.set("Idempotency-Key", key);
    Router::Match match = router_.Find(method, request.segments);
    EXPECT_EQ(match.kind, Router::Match::kFound) << path;
    if (match.kind != Router::Match::kFound) return {};
    EXPECT_EQ(match.route->auth, AuthPolicy::kRequired);
    request.path_params = match.params;
    {
      ScopedCallContext scope(Caller(user));
      return Answer(match.route->async_handler, request);
    }
  }
  // Runs an async handler and waits for its response. The promise is shared with the
  // callback, which may still be inside set_value() on a gRPC thread when the answer is here.
  static HttpResponse Answer(const AsyncHandler& handler, const HttpRequest& request) {
    auto answered = std::make_shared<std::promise<HttpResponse>>();
    auto future = answered->get_future();
    handler(request, [answered](HttpResponse r) { answered->set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }
  HttpResponse Checkout(const std::string& body, const std::string& key = "key-1",
                        const std::string& user = "u1") {
    return Send(http::verb::post, "/api/v1/checkout", body, key, user);
  }
  static Json JsonOf(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string CodeOf(const HttpResponse& r) {
    Json body = JsonOf(r);
    if (!body.is_object() || !body.contains("error")) return "";
    return body["error"]["code"].get<std::string>();
  }
  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  std::vector<PlaceOrderRequest> Requests() {
    std::lock_guard<std::mutex> lock(checkout_.mu);
    return checkout_.requests;
  }

  static inline FakeBackends* fakes_ = nullptr;
  FakeCheckout& checkout_ = fakes_->checkout;
  Backends& backends_ = fakes_->backends;
  GatewayConfig config_;
  Router router_;
};

TEST_F(CheckoutRoutesTest, BuildsThePlaceOrderRequestAndAnswers201WithTheOrder) {
  HttpResponse r = Checkout(kBody, "order-2026.11:a_b-c");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(HeaderOf(r, "Location"), "/api/v1/orders/3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  Json o = JsonOf(r);
  EXPECT_EQ(o["id"], "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
  EXPECT_EQ(o["status"], "paid");
  EXPECT_EQ(o["items"][0]["product_id"], "p1");
  EXPECT_EQ(o["items"][0]["quantity"], 2);
  EXPECT_EQ(o["items"][0]["unit_price"]["amount"], 1000);
  EXPECT_EQ(o["items"][0]["line_total"]["amount"], 2000);
  EXPECT_EQ(o["subtotal"]["amount"], 2000);
  EXPECT_EQ(o["shipping"]["amount"], 499);
  EXPECT_EQ(o["tax"]["amount"], 160);
  EXPECT_EQ(o["total"]["amount"], 2659);
  EXPECT_EQ(o["total"]["currency"], "USD");
  EXPECT_EQ(o["card_last4"], "4242");
  EXPECT_EQ(o["created_at"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(o["shipping_address"]["city"], "Berlin");
  EXPECT_EQ(r.body.find("4242424242424242"), std::string::npos);

  auto requests = Requests();
  ASSERT_EQ(requests.size(), 1u);
  const PlaceOrderRequest& sent = requests[0];
  EXPECT_EQ(sent.idempotency_key(), "order-2026.11:a_b-c");
  EXPECT_EQ(sent.card().number(), "4242424242424242");
  EXPECT_EQ(sent.card().exp_month(), 12);
  EXPECT_EQ(sent.card().exp_year(), 2030);
  EXPECT_EQ(sent.card().cvc(), "123");
  EXPECT_EQ(sent.shipping_address().name(), "Ann");
  EXPECT_EQ(sent.shipping_address().postal_code(), "10115");
  EXPECT_EQ(sent.request_fingerprint().size(), 64u);
  EXPECT_EQ(checkout_.user_id, "u1");
}

TEST_F(CheckoutRoutesTest, FingerprintIgnoresFormattingButNotContentOrTheKey) {
  ASSERT_EQ(Checkout(kBody).status, 201u);
  const std::string reordered =
      R"({ "payment" : { "card" : { "cvc" : "123", "exp_year" : 2030, "exp_month" : 12,
         "number" : "4242424242424242" } }, "shipping_address" : { "country" : "DE",
         "postal_code" : "10115", "region" : "", "city" : "Berlin", "line2" : "",
         "line1" : "1 Main St", "name" : "Ann" } })";
  ASSERT_EQ(Checkout(reordered).status, 201u);
  Json other = Json::parse(kBody);
  other["payment"]["card"]["number"] = "4000000000000002";
  ASSERT_EQ(Checkout(other.dump()).status, 201u);
  auto requests = Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].request_fingerprint(), requests[1].request_fingerprint());
  EXPECT_NE(requests[0].request_fingerprint(), requests[2].request_fingerprint());
  // Not a plain hash of the body: the gateway's key is in it.
  Route("another-gateway-key");
  ASSERT_EQ(Checkout(kBody).status, 201u);
  requests = Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_NE(requests[3].request_fingerprint(), requests[0].request_fingerprint());
}

TEST_F(CheckoutRoutesTest, SavedAddressIsLookedUpAsTheCaller) {
  Json body = Json::parse(kBody);
  body.erase("shipping_address");
  body["address_id"] = "home";
  HttpResponse r = Checkout(body.dump());
  ASSERT_EQ(r.status, 201u) << r.body;
  auto requests = Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].shipping_address().id(), "home");
  EXPECT_EQ(requests[0].shipping_address().city(), "Munich");
  EXPECT_EQ(JsonOf(r)["shipping_address"]["line1"], "9 Saved Road");
  // Another user's address: 404, no order attempted.
  HttpResponse theirs = Checkout(body.dump(), "key-2", "u2");
  EXPECT_EQ(theirs.status, 404u);
  EXPECT_EQ(CodeOf(theirs), "address_not_found");
  EXPECT_EQ(Requests().size(), 1u);
}

TEST_F(CheckoutRoutesTest, MissingOrMalformedIdempotencyKeyIs400) {
  HttpResponse none = Checkout(kBody, "");
  EXPECT_EQ(none.status, 400u);
  EXPECT_EQ(CodeOf(none), "idempotency_key_required");
  for (const std::string& key :
       std::vector<std::string>{"with space", "semi;colon", "ünïcode", std::string(256, 'a')}) {
    HttpResponse r = Checkout(kBody, key);
    EXPECT_EQ(r.status, 400u) << key;
    EXPECT_EQ(CodeOf(r), "invalid_idempotency_key") << key;
  }
  EXPECT_EQ(Checkout(kBody, std::string(255, 'a')).status, 201u);
  EXPECT_EQ(Requests().size(), 1u);
}

TEST_F(CheckoutRoutesTest, CheckoutErrorsKeepTheirCodesAndStatuses) {
  struct Case {
    absl::Status error;
    unsigned http;
    const char* code;
  };
  const std::vector<Case> cases = {
      {ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock", "no"), 409,
       "out_of_stock"},
      {ErrorWithCode(absl::StatusCode::kFailedPrecondition, "payment_declined", "no"), 402,
       "payment_declined"},
      {ErrorWithCode(absl::StatusCode::kFailedPrecondition, "insufficient_funds", "no"), 402,
       "insufficient_funds"},
      {ErrorWithCode(absl::StatusCode::kFailedPrecondition, "cart_empty", "no"), 400, "cart_empty"},
      {ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused", "no"), 422,
       "idempotency_key_reused"},
      {ErrorWithCode(absl::StatusCode::kAborted, "in_progress", "wait", 1), 409, "in_progress"},
      {ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_card", "bad"), 400,
       "invalid_card"},
      {ErrorWithCode(absl::StatusCode::kUnavailable, "order_pending", "later", 11), 503,
       "order_pending"},
  };
  for (const Case& c : cases) {
    {
      std::lock_guard<std::mutex> lock(checkout_.mu);
      checkout_.error = c.error;
    }
    HttpResponse r = Checkout(kBody);
    EXPECT_EQ(r.status, c.http) << c.code << " " << r.body;
    EXPECT_EQ(CodeOf(r), c.code);
    if (RetryAfterOf(c.error) > 0) {
      EXPECT_EQ(HeaderOf(r, "Retry-After"), std::to_string(RetryAfterOf(c.error))) << c.code;
    }
  }
}

TEST_F(CheckoutRoutesTest, ListRejectsABadPageSizeBeforeCallingTheService) {
  // The query string is parsed by the HTTP layer and arrives in `query`.
  HttpRequest request;
  request.method = http::verb::get;
  request.path = "/api/v1/orders";
  request.segments = SplitPath(request.path);
  request.query = {{"page_size", "abc"}};
  Router::Match match = router_.Find(request.method, request.segments);
  ASSERT_EQ(match.kind, Router::Match::kFound);
  HttpResponse bad;
  {
    ScopedCallContext scope(Caller("u1"));
    bad = Answer(match.route->async_handler, request);
  }
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(CodeOf(bad), "invalid_page_size");
}

}  // namespace
}  // namespace mercato::gateway
