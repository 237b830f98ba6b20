// CatalogService's raw ListProducts handler (serialized pages, ListPageCache) over gRPC on
// loopback, against the typed logic (DoListProducts) on the same fake store and ProductCache:
// the bytes parse back to exactly what the typed path answers, before and after a change of
// the read model, the errors are the same, and the caller's service token is required.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "catalog/catalog_service.h"
#include "catalog_fake_store.h"
#include "rpc/call_auth.h"
#include "rpc/status_conversion.h"
#include "support/grpc_server.h"
#include "support/identity.h"

namespace mercato::catalog {
namespace {

using google::protobuf::util::MessageDifferencer;

VersionedProduct RawListProduct(int i, int64_t version = 1) {
  VersionedProduct p;
  p.product.set_id(absl::StrCat("00000000-0000-4000-8000-0000000000", 10 + i));
  p.product.set_name(absl::StrCat("product ", 10 + i));
  p.product.add_categories(i % 2 ? "odd" : "even");
  p.product.set_description(std::string(200, 'd'));
  p.product.set_stock(version);  // so a page shows which version of each product it holds
  p.version = version;
  return p;
}

class CatalogRawListTest : public ::testing::Test {
 protected:
  CatalogRawListTest() : refresher_("", store_, cache_), executor_("t", 1, 10) {}

  void SetUp() override {
    for (int i = 0; i < 45; ++i) {
      VersionedProduct p = RawListProduct(i);
      store_.products[p.product.id()] = p;
    }
    ASSERT_TRUE(refresher_.LoadAll().ok());
    service_ = std::make_unique<CatalogService>(store_, cache_, refresher_, executor_);
    std::map<std::string, auth::VerifyingKey> callers;
    for (const char* caller : {"gateway", "cart", "checkout"}) {
      callers.emplace(caller, testing::TestKey(caller).verifying_key());
    }
    InstallCallAuthenticator(std::make_shared<CallAuthenticator>(
        auth::ServiceTokenVerifier("catalog", std::move(callers)), std::nullopt));
    server_ = std::make_unique<testing::LocalServer>(
        std::initializer_list<grpc::Service*>{service_.get()});
    ASSERT_TRUE(server_->ok());
    stub_ = v1::CatalogService::NewStub(server_->Channel());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    InstallCallAuthenticator(nullptr);
  }

  grpc::Status Call(const v1::ListProductsRequest& request, v1::ListProductsResponse* response,
                    const std::string& caller = "gateway") {
    auto ctx = testing::CallAs(caller, "catalog");
    return stub_->ListProducts(ctx.get(), request, response);
  }
  // Asks twice over gRPC (the second answer from the page cache when it is a browse page) and
  // compares both with the typed path.
  void ExpectSameAsTyped(const v1::ListProductsRequest& request) {
    v1::ListProductsResponse typed;
    ASSERT_TRUE(service_->DoListProducts(request, &typed).ok()) << request.ShortDebugString();
    const bool browse = request.query().empty();
    for (int attempt = 0; attempt < 2; ++attempt) {
      const uint64_t hits = service_->page_cache().hits();
      v1::ListProductsResponse raw;
      grpc::Status s = Call(request, &raw);
      ASSERT_TRUE(s.ok()) << s.error_message();
      // The second attempt at a browse page is served from the page cache (the first may be
      // too, when an equal request came before).
      if (attempt == 1) {
        EXPECT_EQ(service_->page_cache().hits(), hits + (browse ? 1 : 0))
            << request.ShortDebugString();
      }
      EXPECT_TRUE(MessageDifferencer::Equals(raw, typed))
          << request.ShortDebugString() << " attempt " << attempt
          << "\nraw: " << raw.ShortDebugString() << "\ntyped: " << typed.ShortDebugString();
    }
  }
  void ExpectSameError(const v1::ListProductsRequest& request) {
    v1::ListProductsResponse typed_response;
    grpc::Status typed = ToGrpcStatus(service_->DoListProducts(request, &typed_response));
    ASSERT_FALSE(typed.ok()) << request.ShortDebugString();
    v1::ListProductsResponse raw_response;
    grpc::Status raw = Call(request, &raw_response);
    EXPECT_EQ(raw.error_code(), typed.error_code()) << request.ShortDebugString();
    EXPECT_EQ(raw.error_message(), typed.error_message()) << request.ShortDebugString();
    EXPECT_EQ(raw.error_details(), typed.error_details()) << request.ShortDebugString();
  }

  FakeCatalogStore store_;
  ProductCache cache_;
  CacheRefresher refresher_;
  BoundedExecutor executor_;
  std::unique_ptr<CatalogService> service_;
  std::unique_ptr<testing::LocalServer> server_;
  std::unique_ptr<v1::CatalogService::Stub> stub_;
};

TEST_F(CatalogRawListTest, BrowsePagesAreExactlyTheTypedPages) {
  for (const std::string category : {"", "even", "odd", "nothing"}) {
    for (int page_size : {0, 1, 7, 20, 100}) {
      v1::ListProductsRequest request;
      request.set_category(category);
      request.set_page_size(page_size);
      ExpectSameAsTyped(request);
      // Every following page too, through the tokens.
      for (;;) {
        v1::ListProductsResponse typed;
        ASSERT_TRUE(service_->DoListProducts(request, &typed).ok());
        if (typed.next_page_token().empty()) break;
        request.set_page_token(typed.next_page_token());
        ExpectSameAsTyped(request);
      }
    }
  }
}

TEST_F(CatalogRawListTest, TheDefaultPageSizeSharesItsPageWithTwenty) {
  v1::ListProductsRequest request;
  v1::ListProductsResponse by_default;
  ASSERT_TRUE(Call(request, &by_default).ok());
  request.set_page_size(kDefaultPageSize);
  const uint64_t hits = service_->page_cache().hits();
  v1::ListProductsResponse twenty;
  ASSERT_TRUE(Call(request, &twenty).ok());
  EXPECT_EQ(service_->page_cache().hits(), hits + 1);
  EXPECT_TRUE(MessageDifferencer::Equals(by_default, twenty));
}

TEST_F(CatalogRawListTest, AChangeOfTheReadModelIsSeenByTheNextCall) {
  v1::ListProductsRequest request;
  request.set_category("even");
  ExpectSameAsTyped(request);  // now cached
  VersionedProduct changed = RawListProduct(0, 2);
  changed.product.set_stock(1);
  changed.product.mutable_price()->set_amount(999);
  cache_.Apply({changed}, {});
  const uint64_t misses = service_->page_cache().misses();
  v1::ListProductsResponse raw;
  ASSERT_TRUE(Call(request, &raw).ok());
  EXPECT_EQ(service_->page_cache().misses(), misses + 1);  // the stored page is not used
  ASSERT_GT(raw.products_size(), 0);
  EXPECT_EQ(raw.products(0).id(), changed.product.id());
  EXPECT_EQ(raw.products(0).stock(), 1);
  EXPECT_EQ(raw.products(0).price().amount(), 999);
  EXPECT_EQ(raw.catalog_version(), cache_.version());
  ExpectSameAsTyped(request);
  // A removal too.
  cache_.Apply({}, {changed.product.id()});
  ASSERT_TRUE(Call(request, &raw).ok());
  ASSERT_GT(raw.products_size(), 0);
  EXPECT_NE(raw.products(0).id(), changed.product.id());
  ExpectSameAsTyped(request);
}

TEST_F(CatalogRawListTest, SearchesGoToTheStoreAndAnswerAsTheTypedPath) {
  store_.search_result.products = {RawListProduct(3).product, RawListProduct(4).product};
  store_.search_result.has_more = true;
  store_.search_result.last = ProductCursor{.name = "", .rank = "0.5", .id = "x"};
  v1::ListProductsRequest request;
  request.set_query("knife");
  request.set_page_size(2);
  ExpectSameAsTyped(request);
  // Once for the typed call, once for each of the two raw calls: searches are not cached.
  EXPECT_EQ(store_.searches.size(), 3u);
}

TEST_F(CatalogRawListTest, InvalidRequestsFailAsOnTheTypedPath) {
  for (int page_size : {-1, 101, 1000}) {
    v1::ListProductsRequest request;
    request.set_page_size(page_size);
    ExpectSameError(request);
  }
  v1::ListProductsRequest garbage;
  garbage.set_page_token("not a token");
  ExpectSameError(garbage);
  // A token issued for another category, also once its page is cached.
  v1::ListProductsRequest even;
  even.set_category("even");
  v1::ListProductsResponse first;
  ASSERT_TRUE(Call(even, &first).ok());
  even.set_page_token(first.next_page_token());
  ExpectSameAsTyped(even);
  v1::ListProductsRequest odd = even;
  odd.set_category("odd");
  ExpectSameError(odd);
  v1::ListProductsRequest search = even;
  search.set_query("knife");
  ExpectSameError(search);
  v1::ListProductsRequest long_query;
  long_query.set_query(std::string(kMaxQueryLength + 1, 'q'));
  ExpectSameError(long_query);
}

// While the read model changes under them, every answer is one state of it, whole: all 45
// products are rewritten together at version k (stock k), so a page (built or stored) must
// show one k throughout, with the catalog version 45 * k, and k never goes back for a reader.
TEST_F(CatalogRawListTest, AnswersDuringChangesAreNeverMixedNorStale) {
  constexpr int kProducts = 45;
  constexpr int kLastVersion = 150;
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int k = 2; k <= kLastVersion; ++k) {
      std::vector<VersionedProduct> all;
      for (int i = 0; i < kProducts; ++i) all.push_back(RawListProduct(i, k));
      cache_.Apply(all, {});
    }
    writing = false;
  });
  std::vector<std::thread> readers;
  std::atomic<int> answers{0};
  for (const std::string category : {"", "even"}) {
    readers.emplace_back([&, category] {
      int64_t last_k = 0;
      bool more = true;
      while (more) {
        more = writing.load();  // one more call after the last change
        v1::ListProductsRequest request;
        request.set_category(category);
        v1::ListProductsResponse page;
        grpc::Status s = Call(request, &page);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ASSERT_GT(page.products_size(), 0);
        const int64_t k = page.products(0).stock();
        for (const auto& p : page.products()) ASSERT_EQ(p.stock(), k) << category;
        ASSERT_EQ(page.catalog_version(), kProducts * k) << category;
        ASSERT_GE(k, last_k) << category;
        last_k = k;
        ++answers;
      }
      EXPECT_EQ(last_k, kLastVersion) << category;
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_GT(answers.load(), 2);
}

// Bytes that are no request: refused as gRPC refuses them for a typed method (GetProduct).
TEST_F(CatalogRawListTest, AnUnparsableRequestIsRefusedAsForATypedMethod) {
  grpc::GenericStub generic(server_->Channel());
  auto call = [&](const std::string& method) {
    const std::string garbage = "\xff\xff\xff";
    grpc::Slice slice(garbage.data(), garbage.size());
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    auto ctx = testing::CallAs("gateway", "catalog");
    std::promise<grpc::Status> done;
    generic.UnaryCall(ctx.get(), "/mercato.catalog.v1.CatalogService/" + method,
                      grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  };
  grpc::Status typed = call("GetProduct");
  grpc::Status raw = call("ListProducts");
  EXPECT_EQ(typed.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(raw.error_code(), typed.error_code());
  EXPECT_EQ(raw.error_message(), typed.error_message());
}

TEST_F(CatalogRawListTest, TheCallersServiceTokenIsRequired) {
  v1::ListProductsRequest request;
  v1::ListProductsResponse response;
  ASSERT_TRUE(Call(request, &response).ok());  // cached now
  for (const std::string query : {"", "knife"}) {
    request.set_query(query);
    grpc::ClientContext anonymous;
    anonymous.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    EXPECT_EQ(stub_->ListProducts(&anonymous, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << query;
    grpc::ClientContext forged;
    forged.AddMetadata("x-mercato-service-token", "forged");
    EXPECT_EQ(stub_->ListProducts(&forged, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << query;
    // A service the catalog does not accept calls from.
    EXPECT_EQ(Call(request, &response, "payment").error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << query;
  }
}

}  // namespace
}  // namespace mercato::catalog
