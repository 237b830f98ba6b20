// Black-box: service identity (docs/security.md, "Service identity") over real gRPC against the
// real binaries. A process that reaches a backend's port but holds no service key gets
// UNAUTHENTICATED from every RPC of every backend, whatever identity metadata it makes up; a
// service may call only the RPCs its role needs; users come from verified access tokens only.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <jwt.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "common/call_context.h"
#include "common/ids.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/process.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;
using grpc::StatusCode;

// Every backend and its gRPC service (from the generated descriptors, so that an RPC added
// later is covered too).
const std::map<std::string, const google::protobuf::ServiceDescriptor*>& Backends() {
  static const auto* backends =
      new std::map<std::string, const google::protobuf::ServiceDescriptor*>{
          {"catalog", catalog::v1::Product::descriptor()->file()->service(0)},
          {"cart", cart::v1::Cart::descriptor()->file()->service(0)},
          {"user", user::v1::User::descriptor()->file()->service(0)},
          {"checkout", checkout::v1::Order::descriptor()->file()->service(0)},
          {"payment", payment::v1::Payment::descriptor()->file()->service(0)},
      };
  return *backends;
}

// Metadata a process without a key might make up.
void AddForgedIdentity(grpc::ClientContext& ctx, const std::string& user_id) {
  ctx.AddMetadata("x-mercato-user-id", user_id);
  ctx.AddMetadata("x-mercato-user-role", "admin");
  ctx.AddMetadata(kOnBehalfOfKey, user_id);
}

class IdentityApiTest : public SuiteTest<IdentityApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .database_prefix = "identity_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    HttpResult r = HttpClient(suite_->port("gateway")).Get("/api/v1/products?page_size=1");
    ASSERT_EQ(r.status, 200) << r.body;
    product_ = r.json["products"][0]["id"].get<std::string>();
  }

 protected:
  static std::shared_ptr<grpc::Channel> Channel(const std::string& backend) {
    return grpc::CreateChannel(suite_->address(backend), grpc::InsecureChannelCredentials());
  }
  static HttpClient http() { return HttpClient(suite_->port("gateway")); }

  // Calls `method` of `backend` with an empty request, through the generic stub.
  static grpc::Status CallAnyMethod(const std::string& backend, const std::string& method,
                                    grpc::ClientContext& ctx) {
    grpc::GenericStub stub(Channel(backend));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  // The lines of a cart as the cart service answers `ctx`.
  static std::vector<std::string> CartLines(grpc::ClientContext& ctx, grpc::Status* status) {
    auto stub = cart::v1::CartService::NewStub(Channel("cart"));
    cart::v1::Cart cart;
    *status = stub->GetCart(&ctx, cart::v1::GetCartRequest(), &cart);
    std::vector<std::string> lines;
    for (const auto& item : cart.items()) lines.push_back(item.product_id());
    return lines;
  }

  // Adds the product to `user`'s cart through the gateway.
  static void AddToCart(const std::string& user) {
    Json body = Json::object();
    body["product_id"] = product_;
    body["quantity"] = 1;
    HttpResult r =
        http().Post("/api/v1/cart/items", body, {{"Authorization", "Bearer " + AccessToken(user)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static int64_t Stock() {
    HttpResult r = http().Get("/api/v1/products/" + product_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["stock"].get<int64_t>();
  }

  static grpc::Status SetStock(grpc::ClientContext& ctx, int64_t stock) {
    auto stub = catalog::v1::CatalogService::NewStub(Channel("catalog"));
    catalog::v1::SetStockRequest request;
    request.set_product_id(product_);
    request.set_stock(stock);
    catalog::v1::Product product;
    return stub->SetStock(&ctx, request, &product);
  }

  static inline std::string product_;
};

TEST_F(IdentityApiTest, EveryRpcOfEveryBackendRefusesACallerWithoutAServiceKey) {
  const std::string victim = NewUuid();
  int methods = 0;
  for (const auto& [backend, service] : Backends()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
      ++methods;
      // Nothing at all.
      grpc::ClientContext bare;
      bare.set_deadline(Clock::now() + std::chrono::seconds(10));
      EXPECT_EQ(CallAnyMethod(backend, method, bare).error_code(), StatusCode::UNAUTHENTICATED)
          << method;
      // Made-up identity metadata, and even a stolen admin access token: no service key, no
      // call.
      auto forged = CallAs("", backend, AccessToken(victim, "admin"));
      AddForgedIdentity(*forged, victim);
      EXPECT_EQ(CallAnyMethod(backend, method, *forged).error_code(), StatusCode::UNAUTHENTICATED)
          << method;
    }
  }
  EXPECT_EQ(methods, 6 + 11 + 12 + 6 + 5);
}

// Asks a server's reflection service, without any credential, for its services (the raw
// bytes of the answer, empty on failure): ServerReflectionRequest{list_services: "*"} is field
// 7, encoded by hand (the reflection protos are not installed with gRPC).
class ReflectionList final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit ReflectionList(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::GenericStub stub(channel);
    ctx_.set_deadline(Clock::now() + std::chrono::seconds(10));
    const std::string list_services("\x3a\x01*", 3);
    grpc::Slice slice(list_services);
    request_ = grpc::ByteBuffer(&slice, 1);
    stub.PrepareBidiStreamingCall(&ctx_,
                                  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                  grpc::StubOptions(), this);
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }
  void OnWriteDone(bool) override { StartWritesDone(); }
  void OnReadDone(bool ok) override {
    if (ok) {
      std::vector<grpc::Slice> slices;
      (void)response_.Dump(&slices);
      for (const auto& slice : slices)
        answer_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }
  std::string Wait() {
    grpc::Status status = done_.get_future().get();
    return status.ok() ? answer_ : "";
  }

 private:
  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_, response_;
  std::string answer_;
  std::promise<grpc::Status> done_;
};

TEST_F(IdentityApiTest, ReflectionStaysOpen) {
  for (const auto& [backend, service] : Backends()) {
    ReflectionList list(Channel(backend));
    EXPECT_NE(list.Wait().find(service->full_name()), std::string::npos) << backend;
  }
}

TEST_F(IdentityApiTest, HealthChecksStayOpen) {
  for (const auto& [backend, service] : Backends()) {
    auto health = grpc::health::v1::Health::NewStub(Channel(backend));
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status s = health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &response);
    ASSERT_TRUE(s.ok()) << backend << ": " << s.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << backend;
  }
}

TEST_F(IdentityApiTest, ForgedIdentityMetadataFromARealServiceHasNoEffect) {
  const std::string ann = NewUuid();
  AddToCart(ann);
  // The gateway's own key, but no access token: the metadata names nobody.
  auto as_ann = CallAs("gateway", "cart");
  AddForgedIdentity(*as_ann, ann);
  grpc::Status status;
  EXPECT_EQ(CartLines(*as_ann, &status), std::vector<std::string>());
  EXPECT_TRUE(status.ok()) << status.error_message();

  const int64_t stock = Stock();
  auto admin = CallAs("gateway", "catalog");
  AddForgedIdentity(*admin, ann);
  EXPECT_EQ(SetStock(*admin, stock + 1000).error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Stock(), stock);

  auto me = CallAs("gateway", "user");
  AddForgedIdentity(*me, ann);
  user::v1::User user;
  EXPECT_EQ(user::v1::UserService::NewStub(Channel("user"))
                ->GetMe(me.get(), user::v1::GetMeRequest(), &user)
                .error_code(),
            StatusCode::UNAUTHENTICATED);

  auto orders = CallAs("gateway", "checkout");
  AddForgedIdentity(*orders, ann);
  checkout::v1::ListOrdersResponse listed;
  EXPECT_EQ(checkout::v1::CheckoutService::NewStub(Channel("checkout"))
                ->ListOrders(orders.get(), checkout::v1::ListOrdersRequest(), &listed)
                .error_code(),
            StatusCode::UNAUTHENTICATED);
}

TEST_F(IdentityApiTest, AUsersTokenReadsOnlyThatUsersCart) {
  const std::string ann = NewUuid(), bob = NewUuid();
  AddToCart(ann);
  grpc::Status status;
  EXPECT_EQ(CartLines(*CallAs("gateway", "cart", AccessToken(ann)), &status),
            std::vector<std::string>{product_});
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(CartLines(*CallAs("gateway", "cart", AccessToken(bob)), &status),
            std::vector<std::string>());
  // Bob's token with Ann's id in every header there is: still Bob's (empty) cart.
  auto bob_as_ann = CallAs("gateway", "cart", AccessToken(bob));
  AddForgedIdentity(*bob_as_ann, ann);
  EXPECT_EQ(CartLines(*bob_as_ann, &status), std::vector<std::string>());
  HttpResult http_bob = http().Get("/api/v1/cart", {{"Authorization", "Bearer " + AccessToken(bob)},
                                                    {"X-Mercato-User-Id", ann}});
  EXPECT_EQ(http_bob.json["items"], Json::array()) << http_bob.body;

  // Checkout, and only checkout, may name the user whose cart it orders.
  auto from_checkout = CallAs("checkout", "cart");
  from_checkout->AddMetadata(kOnBehalfOfKey, ann);
  EXPECT_EQ(CartLines(*from_checkout, &status), std::vector<std::string>{product_});
  auto from_gateway = CallAs("gateway", "cart");
  from_gateway->AddMetadata(kOnBehalfOfKey, ann);
  EXPECT_EQ(CartLines(*from_gateway, &status), std::vector<std::string>());
}

TEST_F(IdentityApiTest, OnlyAnAdminsTokenSetsStock) {
  const int64_t stock = Stock();
  EXPECT_EQ(SetStock(*CallAs("gateway", "catalog"), 7).error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      SetStock(*CallAs("gateway", "catalog", AccessToken(NewUuid(), "customer")), 7).error_code(),
      StatusCode::PERMISSION_DENIED);
  // An admin's token in another service's hands is not an admin's call: only the gateway
  // forwards shoppers' tokens.
  EXPECT_EQ(
      SetStock(*CallAs("checkout", "catalog", AccessToken(NewUuid(), "admin")), 7).error_code(),
      StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Stock(), stock);
  ASSERT_TRUE(
      SetStock(*CallAs("gateway", "catalog", AccessToken(NewUuid(), "admin")), stock + 3).ok());
  EXPECT_EQ(Stock(), stock + 3);
}

TEST_F(IdentityApiTest, AServiceMayCallOnlyWhatItsRoleNeeds) {
  const std::string ann = NewUuid();
  struct Case {
    std::string caller, backend, method;
  };
  const Case denied[] = {
      // Services that do not call the backend at all (deploy/services.json "calls").
      {"cart", "payment", "/mercato.payment.v1.PaymentService/GetPayment"},
      {"gateway", "payment", "/mercato.payment.v1.PaymentService/Authorize"},
      {"cart", "user", "/mercato.user.v1.UserService/GetMe"},
      {"checkout", "user", "/mercato.user.v1.UserService/ListAddresses"},
      {"cart", "checkout", "/mercato.checkout.v1.CheckoutService/ListOrders"},
      {"payment", "catalog", "/mercato.catalog.v1.CatalogService/ListCategories"},
      // Callers of the backend, but not of this RPC.
      {"gateway", "catalog", "/mercato.catalog.v1.CatalogService/ReserveStock"},
      {"cart", "catalog", "/mercato.catalog.v1.CatalogService/ReserveStock"},
      {"gateway", "catalog", "/mercato.catalog.v1.CatalogService/ReleaseReservation"},
      {"cart", "catalog", "/mercato.catalog.v1.CatalogService/CommitReservation"},
      {"cart", "catalog", "/mercato.catalog.v1.CatalogService/SetStock"},
      {"gateway", "catalog", "/mercato.catalog.v1.CatalogService/ReturnStock"},
      {"cart", "catalog", "/mercato.catalog.v1.CatalogService/ReturnStock"},
      {"gateway", "user", "/mercato.user.v1.UserService/GetContact"},
      {"notification", "user", "/mercato.user.v1.UserService/GetMe"},
      {"notification", "user", "/mercato.user.v1.UserService/Register"},
      {"checkout", "cart", "/mercato.cart.v1.CartService/AddItem"},
      {"checkout", "cart", "/mercato.cart.v1.CartService/MergeGuestCart"},
  };
  for (const Case& c : denied) {
    auto ctx = CallAs(c.caller, c.backend, AccessToken(ann, "admin"));
    EXPECT_EQ(CallAnyMethod(c.backend, c.method, *ctx).error_code(), StatusCode::PERMISSION_DENIED)
        << c.caller << " -> " << c.method;
  }
  // The same key where its role allows it is answered (here: an empty request's own error,
  // or an answer).
  auto reserve = CallAs("checkout", "catalog");
  EXPECT_EQ(CallAnyMethod("catalog", "/mercato.catalog.v1.CatalogService/ReserveStock", *reserve)
                .error_code(),
            StatusCode::INVALID_ARGUMENT);
  auto categories = CallAs("cart", "catalog");
  EXPECT_TRUE(
      CallAnyMethod("catalog", "/mercato.catalog.v1.CatalogService/ListCategories", *categories)
          .ok());
}

std::string ServiceClaimsToken(const std::string& iss, const std::string& aud, int64_t iat,
                               const std::string& key_name) {
  Json claims = Json::object();
  claims["iss"] = iss;
  claims["aud"] = aud;
  claims["iat"] = iat;
  claims["exp"] = iat + 60;
  claims["jti"] = NewUuid();
  return SignedToken(claims, key_name);
}

// HS256 keyed with the gateway's public key, which anyone may have.
std::string HmacForgery(const std::string& aud, int64_t now) {
  Json claims = Json::object();
  claims["iss"] = "gateway";
  claims["aud"] = aud;
  claims["iat"] = now;
  claims["exp"] = now + 60;
  claims["jti"] = NewUuid();
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  const std::string& key = TestKey("gateway").verifying_key().pem();
  jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

TEST_F(IdentityApiTest, ExpiredOrWronglySignedTokensAreUnauthenticated) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  const std::map<std::string, std::string> service_tokens = {
      {"expired", ServiceClaimsToken("gateway", "catalog", now - 120, "gateway")},
      {"signed by another key", ServiceClaimsToken("gateway", "catalog", now, "impostor")},
      {"meant for another service", ServiceClaimsToken("gateway", "user", now, "gateway")},
      {"HS256 keyed with the public key", HmacForgery("catalog", now)},
      {"garbage", "not.a.token"},
  };
  for (const auto& [what, token] : service_tokens) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata(kServiceTokenKey, token);
    EXPECT_EQ(CallAnyMethod("catalog", "/mercato.catalog.v1.CatalogService/ListCategories", ctx)
                  .error_code(),
              StatusCode::UNAUTHENTICATED)
        << what;
  }

  // A valid service token with a bad access token: nobody is signed in.
  const std::string ann = NewUuid();
  Json claims = Json::object();
  claims["iss"] = "mercato";
  claims["aud"] = "mercato-api";
  claims["sub"] = ann;
  claims["role"] = "admin";
  claims["iat"] = now;
  claims["exp"] = now + 900;
  claims["jti"] = NewUuid();
  const std::map<std::string, std::string> access_tokens = {
      {"expired", AccessToken(ann, "admin", Clock::now() - std::chrono::hours(1))},
      {"signed by another key", SignedToken(claims, "impostor")},
      {"signed with a service key", SignedToken(claims, "gateway")},
  };
  for (const auto& [what, token] : access_tokens) {
    auto me = CallAs("gateway", "user", token);
    user::v1::User user;
    EXPECT_EQ(user::v1::UserService::NewStub(Channel("user"))
                  ->GetMe(me.get(), user::v1::GetMeRequest(), &user)
                  .error_code(),
              StatusCode::UNAUTHENTICATED)
        << what;
    EXPECT_EQ(SetStock(*CallAs("gateway", "catalog", token), 1).error_code(),
              StatusCode::UNAUTHENTICATED)
        << what;
  }
}

TEST_F(IdentityApiTest, NoStockIsReservedWithoutCheckoutsKey) {
  const int64_t stock = Stock();
  auto stub = catalog::v1::CatalogService::NewStub(Channel("catalog"));
  catalog::v1::ReserveStockRequest request;
  request.set_reservation_id(NewUuid());
  auto* item = request.add_items();
  item->set_product_id(product_);
  item->set_quantity(static_cast<int32_t>(std::max<int64_t>(1, stock)));
  for (const std::string& caller : {std::string(""), std::string("gateway")}) {
    auto ctx = CallAs(caller, "catalog");
    AddForgedIdentity(*ctx, NewUuid());
    catalog::v1::Reservation reservation;
    grpc::Status s = stub->ReserveStock(ctx.get(), request, &reservation);
    EXPECT_EQ(s.error_code(),
              caller.empty() ? StatusCode::UNAUTHENTICATED : StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Stock(), stock);
}

// The key variables `service` reads (deploy/services.json).
std::vector<std::string> KeyVariables(const std::string& service) {
  std::ifstream in(SourceDir() + "/deploy/services.json");
  const Json spec = Json::parse(in);
  std::vector<std::string> keys;
  for (const auto& [variable, description] : spec["services"][service]["env"].items()) {
    if (KeyVariable(service, variable)) keys.push_back(variable);
  }
  return keys;
}

// Runs `service` until it exits (it should: bad configuration); returns its log.
std::string RunUntilExit(const std::string& service, std::map<std::string, std::string> env,
                         int* exit_code) {
  ChildProcess process(BinaryPath(service), std::move(env), service + "-without-keys");
  EXPECT_TRUE(process.Start().ok());
  const int status = process.Wait(std::chrono::seconds(20));
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return process.ReadLog();
}

TEST(IdentityStartupTest, AServiceWithoutItsKeysRefusesToStartNamingThem) {
  for (const std::string service : {"catalog", "cart", "user", "checkout", "payment", "gateway"}) {
    const std::vector<std::string> keys = KeyVariables(service);
    ASSERT_FALSE(keys.empty()) << service;
    int exit_code = 0;
    const std::string log = RunUntilExit(service, {}, &exit_code);
    EXPECT_EQ(exit_code, 2) << service << ": " << log;
    for (const std::string& key : keys) {
      EXPECT_NE(log.find(key + " is required but not set"), std::string::npos)
          << service << " " << key << ": " << log;
    }
  }
  // A malformed key is named, and its text is not echoed.
  int exit_code = 0;
  const std::string log = RunUntilExit(
      "payment", {{"MERCATO_CHECKOUT_PUBLIC_KEY", TestKey("checkout").pem()}}, &exit_code);
  EXPECT_EQ(exit_code, 2) << log;
  EXPECT_NE(log.find("MERCATO_CHECKOUT_PUBLIC_KEY must be a P-256 public key"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos) << log;
}

}  // namespace
}  // namespace mercato::testing
