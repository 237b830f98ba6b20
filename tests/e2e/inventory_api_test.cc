// Black-box: inventory and the admin product API through the real gateway, catalog and user
// binaries, with a real PostgreSQL. Admin writes through the gateway with a real admin
// token (401 / 403 for others) and their read-your-writes visibility; the admin and
// inventory RPCs at the gRPC level with identity metadata sent straight to the catalog, as
// the gateway and checkout send it; reservation expiry by the catalog's own sweeper; the
// reservation counters on /metrics.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using catalog::v1::CatalogService;
using nlohmann::json;

constexpr char kAdminEmail[] = "admin@inventory.test";
constexpr char kAdminPassword[] = "inventory-admin-password";

class InventoryApiTest : public SuiteTest<InventoryApiTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "catalog", "user"},
            .with_dependencies = false,
            .env = {{"catalog", {{"MERCATO_RESERVATION_SWEEP_MS", "100"}}},
                    {"user",
                     {{"MERCATO_ADMIN_EMAIL", kAdminEmail},
                      {"MERCATO_ADMIN_PASSWORD", kAdminPassword}}}},
            .database_prefix = "inventory_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    stub_ = CatalogService::NewStub(
                grpc::CreateChannel(suite_->address("catalog"), grpc::InsecureChannelCredentials()))
                .release();
  }
  static void TearDownTestSuite() {
    delete stub_;
    stub_ = nullptr;
    SuiteTest::TearDownTestSuite();
  }

 protected:
  static HttpClient http() { return HttpClient(suite_->port("gateway")); }

  // A call from the gateway for this user (their access token; none when `role` is empty).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& role) {
    auto ctx =
        CallAs("gateway", "catalog", role.empty() ? "" : testing::AccessToken(NewUuid(), role));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }
  static std::unique_ptr<grpc::ClientContext> AsAdmin() { return As("admin"); }
  static std::unique_ptr<grpc::ClientContext> AsCheckout() {
    auto ctx = CallAs("checkout", "catalog");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  // A new product with this stock, created through the admin RPC.
  static std::string NewProduct(int64_t stock) {
    catalog::v1::UpsertProductRequest request;
    auto* p = request.mutable_product();
    p->set_name(absl::StrCat("Inventory test item ", RandomHex(4)));
    p->mutable_price()->set_amount(1500);
    p->mutable_price()->set_currency("USD");
    p->add_categories("kitchen");
    p->set_stock(stock);
    catalog::v1::Product created;
    grpc::Status s = stub_->UpsertProduct(AsAdmin().get(), request, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.id();
  }
  // The stock the gateway shows (the catalog's in-memory read model).
  static int64_t ShownStock(const std::string& id) {
    HttpResult r = http().Get("/api/v1/products/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.value("stock", int64_t{-1});
  }

  static absl::Status Reserve(const std::string& reservation_id, const std::string& product_id,
                              int quantity, int ttl = 0, catalog::v1::Reservation* out = nullptr) {
    catalog::v1::ReserveStockRequest request;
    request.set_reservation_id(reservation_id);
    auto* item = request.add_items();
    item->set_product_id(product_id);
    item->set_quantity(quantity);
    request.set_ttl_seconds(ttl);
    catalog::v1::Reservation r;
    absl::Status s = FromGrpcStatus(stub_->ReserveStock(AsCheckout().get(), request, &r));
    if (out) *out = r;
    return s;
  }
  static absl::Status Commit(const std::string& id, catalog::v1::Reservation* out = nullptr) {
    catalog::v1::CommitReservationRequest request;
    request.set_reservation_id(id);
    catalog::v1::Reservation r;
    absl::Status s = FromGrpcStatus(stub_->CommitReservation(AsCheckout().get(), request, &r));
    if (out) *out = r;
    return s;
  }
  static absl::Status Release(const std::string& id, catalog::v1::Reservation* out = nullptr) {
    catalog::v1::ReleaseReservationRequest request;
    request.set_reservation_id(id);
    catalog::v1::Reservation r;
    absl::Status s = FromGrpcStatus(stub_->ReleaseReservation(AsCheckout().get(), request, &r));
    if (out) *out = r;
    return s;
  }

  static absl::Status Return(const std::string& id, catalog::v1::Reservation* out = nullptr,
                             std::unique_ptr<grpc::ClientContext> ctx = AsCheckout()) {
    catalog::v1::ReturnStockRequest request;
    request.set_reservation_id(id);
    catalog::v1::Reservation r;
    absl::Status s = FromGrpcStatus(stub_->ReturnStock(ctx.get(), request, &r));
    if (out) *out = r;
    return s;
  }

  // mercato_stock_reservations_total{outcome="..."} from the catalog's /metrics.
  static double ReservationsCounted(const std::string& outcome) {
    HttpResult r = HttpClient(suite_->admin_port("catalog")).Get("/metrics");
    EXPECT_EQ(r.status, 200);
    const std::string key =
        absl::StrCat("mercato_stock_reservations_total{outcome=\"", outcome, "\"} ");
    const size_t at = r.body.find(key);
    if (at == std::string::npos) return -1;
    const size_t end = r.body.find('\n', at);
    double value = -1;
    EXPECT_TRUE(absl::SimpleAtod(r.body.substr(at + key.size(), end - at - key.size()), &value));
    return value;
  }

  std::string AccessToken(const std::string& email, const std::string& password) {
    json body = json::object();
    body["email"] = email;
    body["password"] = password;
    HttpResult r = http().Post("/api/v1/sessions", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.value("access_token", "");
  }
  std::string AdminToken() { return AccessToken(kAdminEmail, kAdminPassword); }
  std::string CustomerToken() {
    const std::string email = absl::StrCat("shopper-", RandomHex(4), "@example.com");
    json body = json::object();
    body["email"] = email;
    body["password"] = "correct horse battery staple";
    body["name"] = "Shopper";
    HttpResult r = http().Post("/api/v1/users", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return AccessToken(email, "correct horse battery staple");
  }
  static std::map<std::string, std::string> Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  static CatalogService::Stub* stub_;
};

CatalogService::Stub* InventoryApiTest::stub_ = nullptr;

// ---- admin through the gateway ----

TEST_F(InventoryApiTest, AdminCreatesAndPatchesThroughTheGatewayAndSeesItAtOnce) {
  const auto admin = Bearer(AdminToken());
  json create = json::parse(
      R"({"name":"Gateway pot","description":"Made through the admin API.",
          "price":{"amount":2599,"currency":"EUR"},"categories":["kitchen","home"],
          "image_url":"/images/products/pot.svg","stock":9})");
  HttpResult created = http().Post("/api/v1/admin/products", create, admin);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"].get<std::string>();
  EXPECT_TRUE(IsUuid(id));
  for (const char* field : {"name", "description", "price", "categories", "image_url", "stock"}) {
    EXPECT_EQ(created.json[field], create[field]) << field;
  }
  // Admins also see the units on hand and held (issue 15, defect 8); shoppers do not.
  EXPECT_EQ(created.json["on_hand"], 9);
  EXPECT_EQ(created.json["reserved"], 0);
  auto public_view = [](json admin_view) {
    admin_view.erase("on_hand");
    admin_view.erase("reserved");
    return admin_view;
  };
  // Read your writes: the very next GET (answered from the catalog's cache) has it.
  HttpResult shown = http().Get("/api/v1/products/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.json, public_view(created.json));

  HttpResult patched = http().Send(
      "PATCH", "/api/v1/admin/products/" + id,
      R"({"price":{"amount":1999,"currency":"EUR"},"stock":4,"categories":["home"]})",
      {{"Authorization", admin.at("Authorization")}, {"Content-Type", "application/json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json["name"], "Gateway pot");
  EXPECT_EQ(patched.json["price"]["amount"], 1999);
  EXPECT_EQ(patched.json["stock"], 4);
  EXPECT_EQ(patched.json["categories"], json::array({"home"}));
  EXPECT_EQ(patched.json["on_hand"], 4);
  shown = http().Get("/api/v1/products/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.json, public_view(patched.json));
  // The category listing follows the change at once too.
  HttpResult kitchen = http().Get("/api/v1/products?category=kitchen&page_size=100");
  ASSERT_EQ(kitchen.status, 200);
  for (const auto& p : kitchen.json["products"]) EXPECT_NE(p["id"], id);
}

TEST_F(InventoryApiTest, AdminRoutesRefuseOthers) {
  const std::string body = R"({"name":"x","price":{"amount":1,"currency":"USD"}})";
  HttpResult anonymous = http().Send("POST", "/api/v1/admin/products", body);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.json["error"]["code"], "authentication_required") << anonymous.body;
  HttpResult forged = http().Send("POST", "/api/v1/admin/products", body,
                                  {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(forged.status, 401);
  HttpResult patch_anonymous =
      http().Send("PATCH", "/api/v1/admin/products/" + NewUuid(), R"({"stock":1})");
  EXPECT_EQ(patch_anonymous.status, 401);

  const auto customer = Bearer(CustomerToken());
  HttpResult shopper = http().Send("POST", "/api/v1/admin/products", body, customer);
  EXPECT_EQ(shopper.status, 403) << shopper.body;
  EXPECT_EQ(shopper.json["error"]["code"], "permission_denied");
  const std::string id = NewProduct(5);
  HttpResult shopper_patch =
      http().Send("PATCH", "/api/v1/admin/products/" + id, R"({"stock":1000})", customer);
  EXPECT_EQ(shopper_patch.status, 403);
  EXPECT_EQ(ShownStock(id), 5);
}

TEST_F(InventoryApiTest, AdminValidationErrorsNameTheField) {
  const auto admin = Bearer(AdminToken());
  const std::string id = NewProduct(5);
  const std::vector<std::tuple<std::string, std::string, int, std::string>> cases = {
      {"POST", R"({"name":"x","price":{"amount":-5,"currency":"USD"}})", 400, "invalid_price"},
      {"POST", R"({"name":"x","price":{"amount":5,"currency":"usd"}})", 400, "invalid_price"},
      {"POST", R"({"name":"","price":{"amount":5,"currency":"USD"}})", 400, "invalid_name"},
      {"POST", R"({"name":"x","price":{"amount":5,"currency":"USD"},"categories":["nope"]})", 400,
       "invalid_categories"},
      {"POST", R"({"name":"x","price":{"amount":5,"currency":"USD"},"sku":"1"})", 400,
       "unknown_field"},
      {"PATCH", R"({"stock":-1})", 400, "invalid_stock"},
      {"PATCH", R"({"stock":"7"})", 400, "invalid_stock"},
      {"PATCH", R"({"image_url":"javascript:x"})", 400, "invalid_image_url"},
      {"PATCH", "{}", 400, "empty_update"},
      {"PATCH", "not json", 400, "invalid_json"},
  };
  for (const auto& [method, body, status, code] : cases) {
    const std::string target =
        method == "POST" ? "/api/v1/admin/products" : "/api/v1/admin/products/" + id;
    HttpResult r = http().Send(method, target, body, admin);
    EXPECT_EQ(r.status, status) << method << " " << body << " -> " << r.body;
    EXPECT_EQ(r.json["error"]["code"], code) << method << " " << body << " -> " << r.body;
  }
  HttpResult missing =
      http().Send("PATCH", "/api/v1/admin/products/" + NewUuid(), R"({"stock":1})", admin);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ShownStock(id), 5);
}

// ---- admin RPCs at the gRPC level ----

TEST_F(InventoryApiTest, AdminRpcsNeedTheAdminRole) {
  const std::string id = NewProduct(5);
  catalog::v1::SetStockRequest set;
  set.set_product_id(id);
  set.set_stock(50);
  catalog::v1::Product p;
  grpc::Status anonymous = stub_->SetStock(As("").get(), set, &p);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status customer = stub_->SetStock(As("customer").get(), set, &p);
  EXPECT_EQ(customer.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  catalog::v1::UpsertProductRequest upsert;
  upsert.mutable_product()->set_id(id);
  upsert.mutable_product()->set_name("hijacked");
  upsert.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(stub_->UpsertProduct(As("customer").get(), upsert, &p).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ShownStock(id), 5);

  ASSERT_TRUE(stub_->SetStock(AsAdmin().get(), set, &p).ok());
  EXPECT_EQ(p.stock(), 50);
  EXPECT_EQ(ShownStock(id), 50);
}

// ---- inventory at the gRPC level ----

TEST_F(InventoryApiTest, ReserveCommitReleaseAsCheckoutUsesThem) {
  const std::string id = NewProduct(10);
  const double reserved_before = ReservationsCounted("reserved");
  const double out_of_stock_before = ReservationsCounted("out_of_stock");
  const double committed_before = ReservationsCounted("committed");
  const double released_before = ReservationsCounted("released");

  catalog::v1::Reservation r;
  const std::string order = NewUuid(), other = NewUuid();
  ASSERT_TRUE(Reserve(order, id, 3, 0, &r).ok());
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_HELD);
  EXPECT_EQ(ShownStock(id), 7);
  ASSERT_TRUE(Reserve(order, id, 3, 0, &r).ok());  // a retried call
  EXPECT_EQ(ShownStock(id), 7);

  absl::Status short_stock = Reserve(other, id, 8);
  EXPECT_EQ(short_stock.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(short_stock), "out_of_stock");
  EXPECT_NE(short_stock.message().find(id), absl::string_view::npos);
  EXPECT_EQ(ShownStock(id), 7);

  ASSERT_TRUE(Commit(order, &r).ok());
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_COMMITTED);
  ASSERT_TRUE(Commit(order, &r).ok());
  EXPECT_EQ(ExplicitErrorCodeOf(Release(order)), "reservation_committed");
  EXPECT_EQ(ShownStock(id), 7);

  ASSERT_TRUE(Reserve(other, id, 7, 0, &r).ok());
  EXPECT_EQ(ShownStock(id), 0);
  ASSERT_TRUE(Release(other, &r).ok());
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_RELEASED);
  EXPECT_EQ(ShownStock(id), 7);
  EXPECT_EQ(ExplicitErrorCodeOf(Commit(other)), "reservation_closed");
  EXPECT_EQ(ExplicitErrorCodeOf(Reserve(other, id, 7)), "reservation_closed");

  // Checkout gave up before reserving: the release leaves a tombstone, a late reserve fails.
  const std::string abandoned = NewUuid();
  ASSERT_TRUE(Release(abandoned).ok());
  EXPECT_EQ(ExplicitErrorCodeOf(Reserve(abandoned, id, 1)), "reservation_closed");
  EXPECT_EQ(ShownStock(id), 7);

  EXPECT_EQ(ReservationsCounted("reserved") - reserved_before, 2);
  EXPECT_EQ(ReservationsCounted("out_of_stock") - out_of_stock_before, 1);
  EXPECT_EQ(ReservationsCounted("committed") - committed_before, 1);
  EXPECT_EQ(ReservationsCounted("released") - released_before, 1);
}

TEST_F(InventoryApiTest, ReturnStockAsCheckoutPutsSoldUnitsBackOnSale) {
  const std::string product = NewProduct(5);
  const std::string id = absl::StrCat("ret-", RandomHex(6));
  ASSERT_TRUE(Reserve(id, product, 2).ok());
  ASSERT_TRUE(Commit(id).ok());
  EXPECT_EQ(ShownStock(product), 3);
  const double returned_before = ReservationsCounted("returned");
  // Only checkout may: the gateway (even with an admin's token) is refused.
  absl::Status by_gateway = Return(id, nullptr, AsAdmin());
  EXPECT_EQ(by_gateway.code(), absl::StatusCode::kPermissionDenied) << by_gateway;
  catalog::v1::Reservation r;
  ASSERT_TRUE(Return(id, &r).ok());
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(ShownStock(product), 5);
  ASSERT_TRUE(Return(id, &r).ok());  // idempotent
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(ShownStock(product), 5);
  EXPECT_EQ(ReservationsCounted("returned"), returned_before + 1);
  // Held and unknown reservations.
  const std::string held = absl::StrCat("ret-held-", RandomHex(6));
  ASSERT_TRUE(Reserve(held, product, 1).ok());
  absl::Status not_committed = Return(held);
  EXPECT_EQ(not_committed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(not_committed), "reservation_not_committed");
  absl::Status unknown = Return(absl::StrCat("ret-never-", RandomHex(6)));
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorCodeOf(unknown), "reservation_not_found");
}

TEST_F(InventoryApiTest, ValidationErrorsAtTheGrpcLevel) {
  const std::string id = NewProduct(10);
  EXPECT_EQ(ExplicitErrorCodeOf(Reserve("", id, 1)), "invalid_reservation_id");
  EXPECT_EQ(ExplicitErrorCodeOf(Reserve(NewUuid(), id, 0)), "invalid_quantity");
  EXPECT_EQ(ExplicitErrorCodeOf(Reserve(NewUuid(), id, 1, 3601)), "invalid_ttl");
  absl::Status unknown = Reserve(NewUuid(), NewUuid(), 1);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(unknown), "product_not_found");
  absl::Status no_such = Commit(NewUuid());
  EXPECT_EQ(no_such.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(no_such), "reservation_not_found");
  EXPECT_EQ(ShownStock(id), 10);
}

TEST_F(InventoryApiTest, TheCatalogsSweeperReturnsTheStockOfAnExpiredReservation) {
  const std::string id = NewProduct(10);
  const double expired_before = ReservationsCounted("expired");
  catalog::v1::Reservation r;
  const std::string order = NewUuid();
  ASSERT_TRUE(Reserve(order, id, 6, /*ttl=*/1, &r).ok());
  EXPECT_EQ(ShownStock(id), 4);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (ShownStock(id) != 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ShownStock(id), 10);
  EXPECT_EQ(ExplicitErrorCodeOf(Commit(order)), "reservation_closed");
  ASSERT_TRUE(Release(order, &r).ok());
  EXPECT_EQ(r.state(), catalog::v1::RESERVATION_STATE_EXPIRED);
  EXPECT_EQ(ReservationsCounted("expired") - expired_before, 1);
}

}  // namespace
}  // namespace mercato::testing
