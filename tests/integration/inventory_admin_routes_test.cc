// The gateway's admin product routes (admin_routes.cc) against an in-process fake catalog
// gRPC server on a loopback port: the role check (401 / 403), strict JSON validation (400
// with a code naming the field, the catalog never called), the UpsertProduct request built
// from the body (fields, update mask, id from the path, the admin's access token forwarded),
// and the mapping of the catalog's answers (201 / 200 Product, errors with their codes).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "common/call_context.h"
#include "common/status.h"
#include "gateway/json_codec.h"
#include "gateway/routes.h"
#include "rpc/status_conversion.h"
#include "support/grpc_server.h"

namespace mercato::gateway {
namespace {

using catalog::v1::Product;
using catalog::v1::UpsertProductRequest;
using mercato::testing::LocalServer;

// Answers UpsertProduct with the product it was sent (id "new-id" when empty), or with
// `error` when set; remembers the last request and the forwarded authorization metadata.
class FakeCatalog final : public catalog::v1::CatalogService::CallbackService {
 public:
  grpc::ServerUnaryReactor* UpsertProduct(grpc::CallbackServerContext* ctx,
                                          const UpsertProductRequest* request,
                                          Product* response) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++calls;
      last = *request;
      auto md = [&](const char* key) {
        auto it = ctx->client_metadata().find(key);
        return it == ctx->client_metadata().end()
                   ? std::string()
                   : std::string(it->second.data(), it->second.size());
      };
      authorization = md(kAuthorizationKey);
      forged_user_id = md("x-mercato-user-id");
    }
    auto* reactor = ctx->DefaultReactor();
    if (!error.ok()) {
      reactor->Finish(ToGrpcStatus(error));
      return reactor;
    }
    *response = request->product();
    if (response->id().empty()) response->set_id("new-id");
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::mutex mu;
  int calls = 0;
  UpsertProductRequest last;
  std::string authorization, forged_user_id;
  absl::Status error;
};

CallContext Caller(std::string id, std::string role) {
  CallContext call;
  call.request_id = "req-1";
  call.user_id = id;
  call.user_role = std::move(role);
  call.access_token = "token-of-" + id;  // the catalog verifies the real ones
  return call;
}

// The fake catalog and the channel to it, one set for the whole suite: a call's last
// clean-up (the reply already delivered) can still be running on a gRPC thread when a test
// has its answer, so servers and channels are not torn down between tests. They are left to
// the process's exit.
struct FakeBackends {
  FakeCatalog catalog;
  std::unique_ptr<LocalServer> server;
  Backends backends;
};

class AdminRoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto* fakes = new FakeBackends;
    fakes->server.reset(new LocalServer({&fakes->catalog}));
    ASSERT_TRUE(fakes->server->ok());
    fakes->backends.catalog = catalog::v1::CatalogService::NewStub(fakes->server->Channel());
    fakes_ = fakes;
  }
  static void TearDownTestSuite() { fakes_->server->Shutdown(); }

  void SetUp() override {
    ASSERT_NE(fakes_, nullptr);
    {
      std::lock_guard<std::mutex> lock(catalog_.mu);
      catalog_.calls = 0;
      catalog_.last.Clear();
      catalog_.authorization.clear();
      catalog_.forged_user_id.clear();
      catalog_.error = absl::OkStatus();
    }
    config_.rpc_timeout = std::chrono::seconds(10);
    RegisterAdminRoutes(router_, backends_, config_);
  }

  HttpResponse Send(http::verb method, const std::string& path, const std::string& body,
                    const CallContext& caller) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.segments = SplitPath(path);
    request.body = body;
    Router::Match match = router_.Find(method, request.segments);
    EXPECT_EQ(match.kind, Router::Match::kFound) << path;
    if (match.kind != Router::Match::kFound) return {};
    EXPECT_EQ(match.route->auth, AuthPolicy::kRequired);
    request.path_params = match.params;
    // The promise is shared with the callback, which may still be inside set_value() on a
    // gRPC thread when the answer is here.
    auto answered = std::make_shared<std::promise<HttpResponse>>();
    auto future = answered->get_future();
    {
      ScopedCallContext scope(caller);
      match.route->async_handler(request,
                                 [answered](HttpResponse r) { answered->set_value(std::move(r)); });
    }
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }
  HttpResponse Post(const std::string& body, const CallContext& caller = Caller("a1", "admin")) {
    return Send(http::verb::post, "/api/v1/admin/products", body, caller);
  }
  HttpResponse Patch(const std::string& id, const std::string& body,
                     const CallContext& caller = Caller("a1", "admin")) {
    return Send(http::verb::patch, "/api/v1/admin/products/" + id, body, caller);
  }
  static std::string CodeOf(const HttpResponse& r) {
    Json body = Json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) return "";
    return body["error"]["code"].get<std::string>();
  }
  int Calls() {
    std::lock_guard<std::mutex> lock(catalog_.mu);
    return catalog_.calls;
  }

  static inline FakeBackends* fakes_ = nullptr;
  FakeCatalog& catalog_ = fakes_->catalog;
  Backends& backends_ = fakes_->backends;
  GatewayConfig config_;
  Router router_;
};

constexpr char kValidCreate[] =
    R"({"name":"Enamel pot","description":"A pot.","price":{"amount":4599,"currency":"EUR"},)"
    R"("categories":["kitchen"],"image_url":"/images/pot.svg","stock":7})";

TEST_F(AdminRoutesTest, WithoutASignedInCallerIs401) {
  HttpResponse post = Post(kValidCreate, CallContext{});
  EXPECT_EQ(post.status, 401u);
  EXPECT_EQ(CodeOf(post), "authentication_required");
  bool challenge = false;
  for (const auto& [name, value] : post.headers) challenge |= name == "WWW-Authenticate";
  EXPECT_TRUE(challenge);
  HttpResponse patch = Patch("p1", R"({"stock":1})", CallContext{});
  EXPECT_EQ(patch.status, 401u);
  EXPECT_EQ(Calls(), 0);
}

TEST_F(AdminRoutesTest, ASignedInNonAdminIs403) {
  HttpResponse post = Post(kValidCreate, Caller("u1", "customer"));
  EXPECT_EQ(post.status, 403u);
  EXPECT_EQ(CodeOf(post), "permission_denied");
  EXPECT_EQ(Patch("p1", R"({"stock":1})", Caller("u1", "")).status, 403u);
  EXPECT_EQ(Calls(), 0);
}

TEST_F(AdminRoutesTest, CreateSendsEveryFieldAndAnswers201WithTheProduct) {
  HttpResponse r = Post(kValidCreate);
  ASSERT_EQ(r.status, 201u) << r.body;
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["id"], "new-id");
  EXPECT_EQ(body["name"], "Enamel pot");
  EXPECT_EQ(body["description"], "A pot.");
  EXPECT_EQ(body["price"]["amount"], 4599);
  EXPECT_EQ(body["price"]["currency"], "EUR");
  EXPECT_EQ(body["categories"], Json::array({"kitchen"}));
  EXPECT_EQ(body["image_url"], "/images/pot.svg");
  EXPECT_EQ(body["stock"], 7);
  std::lock_guard<std::mutex> lock(catalog_.mu);
  EXPECT_EQ(catalog_.calls, 1);
  EXPECT_TRUE(catalog_.last.product().id().empty());
  EXPECT_EQ(catalog_.last.update_mask().paths_size(), 0);  // a new product: every field
  EXPECT_EQ(catalog_.authorization, "Bearer token-of-a1");
  EXPECT_EQ(catalog_.forged_user_id, "");
}

TEST_F(AdminRoutesTest, CreateNeedsOnlyANameAndAPrice) {
  HttpResponse r = Post(R"({"name":"Plain","price":{"amount":0,"currency":"USD"}})");
  ASSERT_EQ(r.status, 201u) << r.body;
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["stock"], 0);
  EXPECT_EQ(body["categories"], Json::array());
  EXPECT_EQ(body["description"], "");
}

TEST_F(AdminRoutesTest, PatchSendsOnlyTheFieldsInTheBodyAndAnswers200) {
  HttpResponse r = Patch("3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13",
                         R"({"stock":3,"price":{"amount":100,"currency":"EUR"}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  std::lock_guard<std::mutex> lock(catalog_.mu);
  EXPECT_EQ(catalog_.last.product().id(), "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
  std::vector<std::string> paths(catalog_.last.update_mask().paths().begin(),
                                 catalog_.last.update_mask().paths().end());
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"price", "stock"}));
  EXPECT_EQ(catalog_.last.product().stock(), 3);
  EXPECT_EQ(catalog_.last.product().price().amount(), 100);
  EXPECT_EQ(catalog_.last.product().price().currency(), "EUR");
  EXPECT_EQ(Json::parse(r.body)["stock"], 3);
}

TEST_F(AdminRoutesTest, PatchAcceptsEachFieldAlone) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"name":"N"})", "name"},
      {R"({"description":""})", "description"},
      {R"({"price":{"amount":1,"currency":"USD"}})", "price"},
      {R"({"stock":0})", "stock"},
      {R"({"categories":[]})", "categories"},
      {R"({"image_url":""})", "image_url"},
  };
  for (const auto& [body, path] : cases) {
    HttpResponse r = Patch("p1", body);
    EXPECT_EQ(r.status, 200u) << body << r.body;
    std::lock_guard<std::mutex> lock(catalog_.mu);
    ASSERT_EQ(catalog_.last.update_mask().paths_size(), 1) << body;
    EXPECT_EQ(catalog_.last.update_mask().paths(0), path);
  }
}

TEST_F(AdminRoutesTest, MalformedBodiesAre400WithACodeNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> patch_cases = {
      {"{", "invalid_json"},
      {"[1]", "invalid_json"},
      {"{}", "empty_update"},
      {R"({"nam":"x"})", "unknown_field"},
      {R"({"id":"x"})", "unknown_field"},
      {R"({"name":5})", "invalid_name"},
      {R"({"name":null})", "invalid_name"},
      {R"({"description":[]})", "invalid_description"},
      {R"({"image_url":null})", "invalid_image_url"},
      {R"({"price":100})", "invalid_price"},
      {R"({"price":{"amount":-1,"currency":"USD"}})", "invalid_price"},
      {R"({"price":{"amount":1.5,"currency":"USD"}})", "invalid_price"},
      {R"({"price":{"amount":"100","currency":"USD"}})", "invalid_price"},
      {R"({"price":{"amount":100}})", "invalid_price"},
      {R"({"price":{"currency":"USD"}})", "invalid_price"},
      {R"({"price":{"amount":100,"currency":7}})", "invalid_price"},
      {R"({"price":{"amount":100,"currency":"USD","tax":1}})", "invalid_price"},
      {R"({"price":{"amount":9223372036854775808,"currency":"USD"}})", "invalid_price"},
      {R"({"stock":-1})", "invalid_stock"},
      {R"({"stock":1e3})", "invalid_stock"},
      {R"({"stock":"3"})", "invalid_stock"},
      {R"({"stock":true})", "invalid_stock"},
      {R"({"stock":18446744073709551615})", "invalid_stock"},
      {R"({"categories":"kitchen"})", "invalid_categories"},
      {R"({"categories":[1]})", "invalid_categories"},
      {R"({"name":"ok","stock":-1})", "invalid_stock"},
  };
  for (const auto& [body, code] : patch_cases) {
    HttpResponse r = Patch("p1", body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_EQ(CodeOf(r), code) << body << " -> " << r.body;
  }
  const std::vector<std::pair<std::string, std::string>> create_cases = {
      {"{}", "invalid_name"},
      {R"({"price":{"amount":1,"currency":"USD"}})", "invalid_name"},
      {R"({"name":"x"})", "invalid_price"},
      {R"({"name":"x","price":{"amount":1,"currency":"USD"},"colour":"red"})", "unknown_field"},
  };
  for (const auto& [body, code] : create_cases) {
    HttpResponse r = Post(body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_EQ(CodeOf(r), code) << body << " -> " << r.body;
  }
  EXPECT_EQ(Calls(), 0);
}

TEST_F(AdminRoutesTest, TheCatalogsErrorsKeepTheirStatusAndCode) {
  catalog_.error =
      ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_categories", "no category 'toys'");
  HttpResponse bad = Post(kValidCreate);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(CodeOf(bad), "invalid_categories");
  EXPECT_NE(bad.body.find("no category 'toys'"), std::string::npos);

  catalog_.error = ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found", "no product");
  HttpResponse missing = Patch("nope", R"({"stock":1})");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(CodeOf(missing), "product_not_found");

  catalog_.error = absl::PermissionDeniedError("admin role required");
  EXPECT_EQ(Patch("p1", R"({"stock":1})").status, 403u);
}

}  // namespace
}  // namespace mercato::gateway
