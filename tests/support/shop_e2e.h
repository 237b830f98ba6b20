// Shared by the checkout end-to-end tests: a suite of every service behind the gateway,
// access tokens minted with the suite's access-token key (so that hundreds of shoppers need no
// argon2id registration), products and stock set through the catalog's admin RPCs (as the
// gateway with an admin's token), carts and checkouts through the gateway, and SQL on the
// services' databases.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "support/addresses.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/postgres.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing::shop_e2e {

using nlohmann::json;

inline constexpr char kGoodCard[] = "4242424242424242";
inline constexpr char kDeclinedCard[] = "4000000000000002";
inline constexpr char kNoFundsCard[] = "4000000000009995";

// An access token as the user service would issue it (ES256 with the suite's key).
inline std::string MintToken(const std::string& user_id, const std::string& role = "customer") {
  return AccessToken(user_id, role);
}

// A shopper: a fresh user id and a token for it.
struct Shopper {
  std::string id = NewUuid();
  std::string token = MintToken(id);
  std::map<std::string, std::string> Auth() const { return {{"Authorization", "Bearer " + token}}; }
};

inline json Address(const std::string& name = "Ann Buyer") { return AddressJson(name); }

inline json CheckoutBody(const std::string& card_number = kGoodCard) {
  json card = json::object();
  card["number"] = card_number;
  card["exp_month"] = 12;
  card["exp_year"] = 2030;
  card["cvc"] = "123";
  json body = json::object();
  body["shipping_address"] = Address();
  body["payment"]["card"] = card;
  return body;
}

// Calls through the gateway, never throwing (a connection error is status 0).
inline HttpResult Call(int gateway_port, const std::string& method, const std::string& target,
                       const std::string& body, std::map<std::string, std::string> headers) {
  try {
    if (!body.empty()) headers.emplace("Content-Type", "application/json");
    return HttpClient(gateway_port).Send(method, target, body, headers);
  } catch (const std::exception& e) {
    HttpResult r;
    r.body = e.what();
    return r;
  }
}

inline HttpResult Checkout(int gateway_port, const Shopper& shopper, const std::string& key,
                           const json& body) {
  auto headers = shopper.Auth();
  if (!key.empty()) headers["Idempotency-Key"] = key;
  return Call(gateway_port, "POST", "/api/v1/checkout", body.dump(), headers);
}

inline HttpResult AddToCart(int gateway_port, const Shopper& shopper, const std::string& product_id,
                            int quantity) {
  json body = json::object();
  body["product_id"] = product_id;
  body["quantity"] = quantity;
  return Call(gateway_port, "POST", "/api/v1/cart/items", body.dump(), shopper.Auth());
}

// A paid checkout of `product_id` by a new shopper, so that checkout's connections to every
// service are open: a test that then stops one (SIGSTOP) sees calls wait for it, instead of
// a connection attempt that never gets the server's HTTP/2 SETTINGS failing at once.
inline void WarmUpCheckout(int gateway_port, const std::string& product_id) {
  Shopper s;
  HttpResult added = AddToCart(gateway_port, s, product_id, 1);
  ASSERT_EQ(added.status, 200) << added.body;
  HttpResult paid = Checkout(gateway_port, s, NewUuid(), CheckoutBody());
  ASSERT_EQ(paid.status, 201) << paid.body;
}

inline std::string ErrorCode(const HttpResult& r) {
  if (!r.json.is_object() || !r.json.contains("error")) return "";
  return r.json["error"].value("code", "");
}

// Admin RPCs straight to the catalog, as the gateway would make them for an admin.
class CatalogAdmin {
 public:
  explicit CatalogAdmin(const std::string& address)
      : stub_(catalog::v1::CatalogService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  std::string CreateProduct(const std::string& name, int64_t price, int64_t stock,
                            const std::string& currency = "USD") {
    catalog::v1::UpsertProductRequest request;
    auto* p = request.mutable_product();
    p->set_name(absl::StrCat(name, " ", RandomHex(3)));
    p->mutable_price()->set_amount(price);
    p->mutable_price()->set_currency(currency);
    p->add_categories("kitchen");
    p->set_stock(stock);
    catalog::v1::Product created;
    auto ctx = Context();
    grpc::Status s = stub_->UpsertProduct(ctx.get(), request, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.id();
  }

  void SetPrice(const std::string& product_id, int64_t price) {
    catalog::v1::UpsertProductRequest request;
    request.mutable_product()->set_id(product_id);
    request.mutable_product()->mutable_price()->set_amount(price);
    request.mutable_product()->mutable_price()->set_currency("USD");
    request.mutable_update_mask()->add_paths("price");
    catalog::v1::Product updated;
    auto ctx = Context();
    grpc::Status s = stub_->UpsertProduct(ctx.get(), request, &updated);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(updated.price().amount(), price);
  }

  void SetStock(const std::string& product_id, int64_t stock) {
    catalog::v1::SetStockRequest request;
    request.set_product_id(product_id);
    request.set_stock(stock);
    catalog::v1::Product product;
    auto ctx = Context();
    grpc::Status s = stub_->SetStock(ctx.get(), request, &product);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

 private:
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = CallAs("gateway", "catalog", AccessToken(NewUuid(), "admin"));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  std::unique_ptr<catalog::v1::CatalogService::Stub> stub_;
};

// SQL on the suite's databases ("<prefix>_<database>").
class Databases {
 public:
  explicit Databases(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string Sql(const std::string& database, const std::string& sql) const {
    return PostgresServer::Shared()->Psql(absl::StrCat(prefix_, "_", database), sql);
  }
  int64_t Count(const std::string& database, const std::string& sql) const {
    int64_t n = -1;
    const std::string out = Sql(database, sql);
    EXPECT_TRUE(absl::SimpleAtoi(out, &n)) << sql << " -> " << out;
    return n;
  }
  std::string Checkout(const std::string& sql) const { return Sql("checkout", sql); }
  std::string Payment(const std::string& sql) const { return Sql("payment", sql); }
  std::string Catalog(const std::string& sql) const { return Sql("catalog", sql); }
  int64_t Stock(const std::string& product_id) const {
    return Count("catalog",
                 absl::StrCat("SELECT stock FROM products WHERE id = '", product_id, "'"));
  }
  // Every table of a database, as pg_dump writes it.
  std::string Dump(const std::string& database) const {
    auto bindir = FindPostgresBinDir();
    EXPECT_TRUE(bindir.ok());
    std::string out;
    RunCommand(
        absl::StrCat(*bindir, "/pg_dump --data-only '",
                     PostgresServer::Shared()->Url(absl::StrCat(prefix_, "_", database)), "'"),
        &out);
    return out;
  }

 private:
  std::string prefix_;
};

// SuiteOptions.env for tests that stop the payment service (SIGSTOP) while orders wait in
// Authorize: deadlines long enough that those orders wait instead of failing.
inline std::map<std::string, std::map<std::string, std::string>> LongDeadlines() {
  return {{"checkout", {{"MERCATO_RPC_TIMEOUT_MS", "20000"}}},
          {"gateway", {{"MERCATO_REQUEST_TIMEOUT_MS", "40000"}}}};
}

// The fixture of the tests of the whole shop: one Suite of every service behind the gateway
// (SuiteTest, with Derived::Options()), a CatalogAdmin on its catalog and SQL on its databases
// (named by Options().database_prefix).
//
//   class PriceTest : public ShopTest<PriceTest> {
//    public:
//     static SuiteOptions Options() { return {.services = {"gateway"}, .database_prefix = "p"}; }
//   };
template <typename Derived>
class ShopTest : public SuiteTest<Derived> {
  using Base = SuiteTest<Derived>;

 public:
  static void SetUpTestSuite() {
    Base::SetUpTestSuite();
    if (Base::suite_ != nullptr)
      admin_ = std::make_unique<CatalogAdmin>(Base::suite_->address("catalog"));
  }
  static void TearDownTestSuite() {
    admin_.reset();
    Base::TearDownTestSuite();
  }

 protected:
  static const Databases& db() {
    static Databases databases(Derived::Options().database_prefix);
    return databases;
  }

  static inline std::unique_ptr<CatalogAdmin> admin_;
};

// A gRPC stub of `Service` on `address` (plaintext, as the suite's services listen).
template <typename Service>
std::unique_ptr<typename Service::Stub> NewStub(const std::string& address) {
  return Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// One counter of a /metrics page ("name{labels}"), -1 when absent.
inline double MetricValue(int admin_port, const std::string& series) {
  HttpResult r = HttpClient(admin_port).Get("/metrics");
  const std::string key = series + " ";
  const size_t at = r.body.find(key);
  if (at == std::string::npos) return -1;
  const size_t end = r.body.find('\n', at);
  double value = -1;
  if (!absl::SimpleAtod(r.body.substr(at + key.size(), end - at - key.size()), &value)) return -1;
  return value;
}

}  // namespace mercato::testing::shop_e2e
