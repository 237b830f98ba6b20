// CatalogService logic over a fake store and a real ProductCache (no gRPC, no database).
#include "catalog/catalog_service.h"

#include <gtest/gtest.h>

#include "catalog/page_token.h"
#include "catalog_fake_store.h"

namespace mercato::catalog {
namespace {

class CatalogServiceTest : public ::testing::Test {
 protected:
  CatalogServiceTest() : refresher_("", store_, cache_), executor_("t", 1, 10) {}

  void SetUp() override {
    for (int i = 0; i < 30; ++i) {
      VersionedProduct p;
      p.product.set_id(absl::StrCat("00000000-0000-4000-8000-0000000000", 10 + i));
      p.product.set_name(absl::StrCat("product ", 10 + i));
      p.version = 1;
      store_.products[p.product.id()] = p;
    }
    ASSERT_TRUE(refresher_.LoadAll().ok());
    service_ = std::make_unique<CatalogService>(store_, cache_, refresher_, executor_);
  }

  FakeCatalogStore store_;
  ProductCache cache_;
  CacheRefresher refresher_;
  BoundedExecutor executor_;
  std::unique_ptr<CatalogService> service_;
};

TEST_F(CatalogServiceTest, DefaultPageSizeIsTwenty) {
  v1::ListProductsResponse response;
  ASSERT_TRUE(service_->DoListProducts({}, &response).ok());
  EXPECT_EQ(response.products_size(), 20);
  EXPECT_FALSE(response.next_page_token().empty());
}

TEST_F(CatalogServiceTest, PageSizeOutsideOneToHundredIsRejected) {
  for (int size : {-1, 101, 1000}) {
    v1::ListProductsRequest request;
    request.set_page_size(size);
    v1::ListProductsResponse response;
    EXPECT_EQ(service_->DoListProducts(request, &response).code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }
}

TEST_F(CatalogServiceTest, LastPageHasNoToken) {
  v1::ListProductsRequest request;
  request.set_page_size(20);
  v1::ListProductsResponse first;
  ASSERT_TRUE(service_->DoListProducts(request, &first).ok());
  request.set_page_token(first.next_page_token());
  v1::ListProductsResponse second;
  ASSERT_TRUE(service_->DoListProducts(request, &second).ok());
  EXPECT_EQ(second.products_size(), 10);
  EXPECT_EQ(second.next_page_token(), "");
  EXPECT_NE(first.products(19).id(), second.products(0).id());
}

TEST_F(CatalogServiceTest, TextQueriesGoToTheStoreWithTheDecodedCursor) {
  store_.search_result.products.resize(2);
  store_.search_result.has_more = true;
  store_.search_result.last = ProductCursor{.name = "", .rank = "0.5", .id = "x"};
  v1::ListProductsRequest request;
  request.set_query("knife");
  request.set_category("kitchen");
  request.set_page_size(2);
  v1::ListProductsResponse response;
  ASSERT_TRUE(service_->DoListProducts(request, &response).ok());
  EXPECT_EQ(response.products_size(), 2);
  ASSERT_EQ(store_.searches.size(), 1u);
  EXPECT_EQ(store_.searches[0].text, "knife");
  EXPECT_EQ(store_.searches[0].category, "kitchen");
  EXPECT_EQ(store_.searches[0].limit, 2);
  EXPECT_FALSE(store_.searches[0].after.has_value());
  // A token for the same filters carries the cursor to the store.
  const std::string id = "00000000-0000-4000-8000-000000000010";
  request.set_page_token(
      EncodePageToken({.name = "", .rank = "0.25", .id = id}, "kitchen", "knife"));
  ASSERT_TRUE(service_->DoListProducts(request, &response).ok());
  ASSERT_TRUE(store_.searches[1].after.has_value());
  EXPECT_EQ(store_.searches[1].after->rank, "0.25");
  EXPECT_EQ(store_.searches[1].after->id, id);
}

TEST_F(CatalogServiceTest, OverlongQueryIsRejected) {
  v1::ListProductsRequest request;
  request.set_query(std::string(201, 'a'));
  v1::ListProductsResponse response;
  EXPECT_EQ(service_->DoListProducts(request, &response).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.searches.empty());
}

TEST_F(CatalogServiceTest, GetProductFromCacheThenStoreThenNotFound) {
  v1::GetProductRequest request;
  request.set_id("00000000-0000-4000-8000-000000000011");
  v1::Product product;
  ASSERT_TRUE(service_->DoGetProduct(request, &product).ok());
  EXPECT_EQ(product.name(), "product 11");
  EXPECT_EQ(store_.load_calls, 0);

  // A product another replica just created: not cached yet, found in the store, then cached.
  VersionedProduct fresh;
  fresh.product.set_id("00000000-0000-4000-8000-000000000099");
  fresh.product.set_name("fresh");
  fresh.version = 1;
  store_.products[fresh.product.id()] = fresh;
  request.set_id(fresh.product.id());
  ASSERT_TRUE(service_->DoGetProduct(request, &product).ok());
  EXPECT_EQ(product.name(), "fresh");
  EXPECT_EQ(store_.load_calls, 1);
  EXPECT_TRUE(cache_.Get(fresh.product.id()).has_value());

  request.set_id("does-not-exist");
  absl::Status s = service_->DoGetProduct(request, &product);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no product with id 'does-not-exist'");
}

// The read model's version (the sum of its rows' versions) is published by GetCatalogVersion
// and carried by every answer the gateway caches; a change applied to the cache raises it.
TEST_F(CatalogServiceTest, AnswersCarryTheCatalogVersion) {
  v1::CatalogVersion version;
  ASSERT_TRUE(service_->DoGetCatalogVersion(&version).ok());
  EXPECT_EQ(version.version(), 30);
  v1::ListProductsResponse page;
  ASSERT_TRUE(service_->DoListProducts({}, &page).ok());
  EXPECT_EQ(page.catalog_version(), 30);
  v1::GetProductRequest get;
  get.set_id("00000000-0000-4000-8000-000000000011");
  v1::Product product;
  ASSERT_TRUE(service_->DoGetProduct(get, &product).ok());
  EXPECT_EQ(product.catalog_version(), 30);
  v1::ListCategoriesResponse categories;
  ASSERT_TRUE(service_->DoListCategories(&categories).ok());
  EXPECT_EQ(categories.catalog_version(), 30);

  VersionedProduct& changed = store_.products.at(get.id());
  changed.product.set_stock(3);
  changed.version = 2;
  ASSERT_TRUE(refresher_.Refresh({get.id()}).ok());
  ASSERT_TRUE(service_->DoGetCatalogVersion(&version).ok());
  EXPECT_EQ(version.version(), 31);
  ASSERT_TRUE(service_->DoGetProduct(get, &product).ok());
  EXPECT_EQ(product.stock(), 3);
  EXPECT_EQ(product.catalog_version(), 31);
}

TEST_F(CatalogServiceTest, BatchGetKeepsRequestOrderAndListsMissing) {
  v1::BatchGetProductsRequest request;
  request.add_ids("00000000-0000-4000-8000-000000000012");
  request.add_ids("missing-1");
  request.add_ids("00000000-0000-4000-8000-000000000010");
  v1::BatchGetProductsResponse response;
  ASSERT_TRUE(service_->DoBatchGetProducts(request, &response).ok());
  ASSERT_EQ(response.products_size(), 2);
  EXPECT_EQ(response.products(0).name(), "product 12");
  EXPECT_EQ(response.products(1).name(), "product 10");
  ASSERT_EQ(response.missing_ids_size(), 1);
  EXPECT_EQ(response.missing_ids(0), "missing-1");
}

// Products the read model does not have yet come from the store; an id asked for twice is
// answered twice.
TEST_F(CatalogServiceTest, BatchGetLoadsWhatIsNotCachedAndRepeatsRepeatedIds) {
  VersionedProduct late;
  late.product.set_id("00000000-0000-4000-8000-000000000099");
  late.product.set_name("late product");
  late.version = 1;
  store_.products[late.product.id()] = late;
  const std::string cached = "00000000-0000-4000-8000-000000000011";
  v1::BatchGetProductsRequest request;
  for (const std::string& id : {cached, late.product.id(), cached}) request.add_ids(id);
  v1::BatchGetProductsResponse response;
  ASSERT_TRUE(service_->DoBatchGetProducts(request, &response).ok());
  ASSERT_EQ(response.products_size(), 3);
  EXPECT_EQ(response.products(0).name(), "product 11");
  EXPECT_EQ(response.products(1).name(), "late product");
  EXPECT_EQ(response.products(2).name(), "product 11");
  EXPECT_EQ(response.missing_ids_size(), 0);
  EXPECT_TRUE(cache_.Get(late.product.id()).has_value());  // and the read model has it now
}

TEST_F(CatalogServiceTest, BatchGetRefusesMoreThanOneHundredIds) {
  v1::BatchGetProductsRequest request;
  for (int i = 0; i < 101; ++i) request.add_ids("x");
  v1::BatchGetProductsResponse response;
  EXPECT_EQ(service_->DoBatchGetProducts(request, &response).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mercato::catalog
