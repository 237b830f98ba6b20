// Black-box: the catalog binary's ListProducts over gRPC (the raw handler and its page cache of
// serialized browse pages, catalog/list_page_cache.h) against the typed logic
// (CatalogService::DoListProducts) run in this process over the same PostgreSQL database: every
// page parses back to exactly the typed answer, asked once and again (then from the page
// cache), and after an admin's change (read your writes: never the stored page). Errors and the
// service-token requirement are those of the typed path.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <set>

#include "catalog/cache_refresher.h"
#include "catalog/catalog_service.h"
#include "catalog/postgres_catalog_store.h"
#include "common/ids.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "support/identity.h"
#include "support/postgres.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using catalog::v1::ListProductsRequest;
using catalog::v1::ListProductsResponse;
using google::protobuf::util::MessageDifferencer;

constexpr char kDatabase[] = "catalog_grpc_list_e2e_catalog";

class CatalogGrpcListTest : public SuiteTest<CatalogGrpcListTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"catalog"},
            .with_dependencies = false,
            .database_prefix = "catalog_grpc_list_e2e"};
  }

 protected:
  // The typed path over the catalog's own database, with a read model of its own.
  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    auto pool = PgPool::Create({.conninfo = PostgresServer::Shared()->Url(kDatabase)});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    store_ = std::make_unique<catalog::PostgresCatalogStore>(*pool_);
    refresher_ = std::make_unique<catalog::CacheRefresher>("", *store_, cache_);
    ASSERT_TRUE(refresher_->LoadAll().ok());
    typed_ = std::make_unique<catalog::CatalogService>(*store_, cache_, *refresher_, executor_);
    stub_ = catalog::v1::CatalogService::NewStub(
        grpc::CreateChannel(suite_->address("catalog"), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Call(const ListProductsRequest& request, ListProductsResponse* response,
                    const std::string& caller = "gateway") {
    auto ctx = CallAs(caller, "catalog");
    return stub_->ListProducts(ctx.get(), request, response);
  }
  // The binary's answer, asked twice, equals the typed one; returns it.
  ListProductsResponse ExpectSameAsTyped(const ListProductsRequest& request) {
    ListProductsResponse typed;
    absl::Status s = typed_->DoListProducts(request, &typed);
    EXPECT_TRUE(s.ok()) << s;
    for (int attempt = 0; attempt < 2; ++attempt) {
      ListProductsResponse raw;
      grpc::Status status = Call(request, &raw);
      EXPECT_TRUE(status.ok()) << status.error_message();
      EXPECT_TRUE(MessageDifferencer::Equals(raw, typed))
          << request.ShortDebugString() << " attempt " << attempt;
    }
    return typed;
  }
  void ExpectError(const ListProductsRequest& request, const std::string& message) {
    ListProductsResponse typed_response;
    absl::Status typed = typed_->DoListProducts(request, &typed_response);
    EXPECT_EQ(typed.code(), absl::StatusCode::kInvalidArgument) << request.ShortDebugString();
    EXPECT_EQ(typed.message(), message);
    ListProductsResponse raw_response;
    grpc::Status raw = Call(request, &raw_response);
    EXPECT_EQ(raw.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << request.ShortDebugString();
    EXPECT_EQ(raw.error_message(), message) << request.ShortDebugString();
  }

  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<catalog::PostgresCatalogStore> store_;
  catalog::ProductCache cache_;
  std::unique_ptr<catalog::CacheRefresher> refresher_;
  BoundedExecutor executor_{"typed", 1, 10};
  std::unique_ptr<catalog::CatalogService> typed_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> stub_;
};

TEST_F(CatalogGrpcListTest, EveryBrowsePageIsExactlyTheTypedPage) {
  const int products =
      std::stoi(PostgresServer::Shared()->Psql(kDatabase, "SELECT count(*) FROM products"));
  for (const std::string category : {"", "kitchen"}) {
    ListProductsRequest request;
    request.set_category(category);
    std::set<std::string> ids;
    for (;;) {
      ListProductsResponse page = ExpectSameAsTyped(request);
      for (const auto& p : page.products()) EXPECT_TRUE(ids.insert(p.id()).second) << p.id();
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    if (category.empty()) EXPECT_EQ(static_cast<int>(ids.size()), products);
    EXPECT_FALSE(ids.empty()) << category;
  }
  ListProductsRequest large;
  large.set_page_size(100);
  ExpectSameAsTyped(large);
}

TEST_F(CatalogGrpcListTest, AnAdminsChangeIsInTheNextPage) {
  ListProductsRequest request;
  request.set_page_size(5);
  ListProductsResponse before = ExpectSameAsTyped(request);  // now in the page cache
  ASSERT_EQ(before.products_size(), 5);
  const catalog::v1::Product& product = before.products(2);
  catalog::v1::SetStockRequest set;
  set.set_product_id(product.id());
  set.set_stock(product.stock() + 17);
  catalog::v1::Product updated;
  auto ctx = CallAs("gateway", "catalog", AccessToken(NewUuid(), "admin"));
  grpc::Status s = stub_->SetStock(ctx.get(), set, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Read your writes: the very next call is built from the changed read model.
  ListProductsResponse after;
  ASSERT_TRUE(Call(request, &after).ok());
  ASSERT_EQ(after.products_size(), 5);
  EXPECT_EQ(after.products(2).id(), product.id());
  EXPECT_EQ(after.products(2).stock(), product.stock() + 17);
  EXPECT_GT(after.catalog_version(), before.catalog_version());
  ASSERT_TRUE(refresher_->LoadAll().ok());  // this process's read model catches up
  ExpectSameAsTyped(request);
}

TEST_F(CatalogGrpcListTest, SearchesAnswerAsTheTypedPath) {
  ListProductsRequest request;
  request.set_query("steel");
  request.set_page_size(3);
  ListProductsResponse page = ExpectSameAsTyped(request);
  EXPECT_GT(page.products_size(), 0);
}

TEST_F(CatalogGrpcListTest, InvalidRequestsFailAsOnTheTypedPath) {
  ListProductsRequest request;
  request.set_page_size(101);
  ExpectError(request, "page_size must be between 1 and 100");
  request.set_page_size(-1);
  ExpectError(request, "page_size must be between 1 and 100");
  ListProductsRequest garbage;
  garbage.set_page_token("not a token");
  ExpectError(garbage, "invalid page_token");
  ListProductsRequest kitchen;
  kitchen.set_category("kitchen");
  kitchen.set_page_token(ExpectSameAsTyped(kitchen).next_page_token());
  ExpectSameAsTyped(kitchen);  // its second page is in the page cache now
  kitchen.set_category("home");
  ExpectError(kitchen, "page_token was issued for different filters");
}

TEST_F(CatalogGrpcListTest, TheCallersServiceTokenIsRequired) {
  ListProductsRequest request;
  ListProductsResponse response;
  for (const char* caller : {"gateway", "cart", "checkout"}) {
    EXPECT_TRUE(Call(request, &response, caller).ok()) << caller;
  }
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->ListProducts(&anonymous, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext forged;
  forged.AddMetadata("x-mercato-service-token", ServiceToken("gateway", "cart"));
  EXPECT_EQ(stub_->ListProducts(&forged, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(request, &response, "payment").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace mercato::testing
