// Black-box: the gateway's response cache of catalog reads (gateway/response_cache.h) with two
// real gateway replicas in front of one real catalog and PostgreSQL. Both caches are warmed,
// an admin changes a price and the stock, and both gateways serve the new values (the delay
// is printed, not asserted: docs/benchmarks.md records it). Also ETag / If-None-Match (304,
// the same ETag on both replicas), a client's Cache-Control: no-cache, read-your-writes
// through one gateway, and the cache's metrics.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using catalog::v1::CatalogService;
using Clock = std::chrono::steady_clock;

class CatalogCacheTest : public SuiteTest<CatalogCacheTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "catalog"},
            .with_dependencies = false,
            .env = {{"gateway",
                     {{"MERCATO_GATEWAY_CACHE_MAX_BYTES", "16777216"},
                      {"MERCATO_GATEWAY_CACHE_POLL_MS", "100"}}}},
            .database_prefix = "catalog_cache_e2e"};
  }
  static void SetUpTestSuite() {
    SuiteTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    absl::Status second = suite_->StartReplica("gateway", "gateway2");
    ASSERT_TRUE(second.ok()) << second;
  }

 protected:
  static std::unique_ptr<CatalogService::Stub> Catalog(const std::string& name = "catalog") {
    return CatalogService::NewStub(
        grpc::CreateChannel(suite_->address(name), grpc::InsecureChannelCredentials()));
  }
  static int64_t VersionOf(const std::string& catalog) {
    catalog::v1::CatalogVersion version;
    auto ctx = CallAs("gateway", "catalog");
    grpc::Status s = Catalog(catalog)->GetCatalogVersion(
        ctx.get(), catalog::v1::GetCatalogVersionRequest(), &version);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return version.version();
  }
  static HttpClient Gateway(const std::string& name) { return HttpClient(suite_->port(name)); }
  static std::map<std::string, std::string> AdminJsonHeaders() {
    return {{"Authorization", "Bearer " + AccessToken(NewUuid(), "admin")},
            {"Content-Type", "application/json"}};
  }

  // A new product in "kitchen" whose name holds a word of its own (for a search).
  static catalog::v1::Product NewProduct(const std::string& word) {
    catalog::v1::UpsertProductRequest request;
    auto* p = request.mutable_product();
    p->set_name(absl::StrCat("Cache test ", word));
    p->mutable_price()->set_amount(1500);
    p->mutable_price()->set_currency("USD");
    p->add_categories("kitchen");
    p->set_stock(10);
    catalog::v1::Product created;
    auto ctx = CallAs("gateway", "catalog", AccessToken(NewUuid(), "admin"));
    grpc::Status s = Catalog()->UpsertProduct(ctx.get(), request, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created;
  }
  // An admin's change made at the catalog directly (as through any gateway replica).
  static void SetPriceAndStock(const std::string& id, int64_t amount, int64_t stock) {
    catalog::v1::UpsertProductRequest request;
    auto* p = request.mutable_product();
    p->set_id(id);
    p->mutable_price()->set_amount(amount);
    p->mutable_price()->set_currency("USD");
    p->set_stock(stock);
    request.mutable_update_mask()->add_paths("price");
    request.mutable_update_mask()->add_paths("stock");
    catalog::v1::Product updated;
    auto ctx = CallAs("gateway", "catalog", AccessToken(NewUuid(), "admin"));
    grpc::Status s = Catalog()->UpsertProduct(ctx.get(), request, &updated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Repeats `target` on `gateway` until it is answered from the cache (X-Cache: HIT).
  static HttpResult WarmUntilHit(const std::string& gateway, const std::string& target) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    HttpResult r;
    do {
      r = Gateway(gateway).Get(target);
      if (r.Header("x-cache") == "HIT") return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (Clock::now() < deadline);
    ADD_FAILURE() << target << " on " << gateway << " never answered from the cache";
    return r;
  }
  // Polls until `done` holds for `target`'s answer; returns how long that took.
  static std::optional<Clock::duration> Until(const std::string& gateway, const std::string& target,
                                              const std::function<bool(const HttpResult&)>& done,
                                              Clock::time_point since) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    do {
      HttpResult r = Gateway(gateway).Get(target);
      if (r.status == 200 && done(r)) return Clock::now() - since;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (Clock::now() < deadline);
    return std::nullopt;
  }
  // A counter or gauge of the gateway's /metrics.
  static double Metric(const std::string& gateway, const std::string& name) {
    HttpResult r = HttpClient(suite_->admin_port(gateway)).Get("/metrics");
    EXPECT_EQ(r.status, 200);
    const std::string key = name + " ";
    const size_t at = r.body.find("\n" + key);
    if (at == std::string::npos) return -1;
    const size_t start = at + 1 + key.size();
    double value = -1;
    EXPECT_TRUE(absl::SimpleAtod(r.body.substr(start, r.body.find('\n', start) - start), &value));
    return value;
  }
};

TEST_F(CatalogCacheTest, AnAdminChangeIsServedByBothWarmGateways) {
  const std::string word = absl::StrCat("zq", RandomHex(4));
  const std::string id = NewProduct(word).id();
  const std::string product = "/api/v1/products/" + id;
  const std::string search = "/api/v1/products?q=" + word;
  for (const char* gateway : {"gateway", "gateway2"}) {
    for (const auto& target : {product, search}) {
      HttpResult warm = WarmUntilHit(gateway, target);
      ASSERT_EQ(warm.status, 200) << warm.body;
    }
    EXPECT_EQ(Gateway(gateway).Get(product).json["price"]["amount"], 1500);
    EXPECT_GT(Metric(gateway, "mercato_gateway_cache_hits_total"), 0);
    EXPECT_GT(Metric(gateway, "mercato_gateway_cache_bytes"), 0);
  }

  const auto changed_at = Clock::now();
  SetPriceAndStock(id, 2500, 3);
  auto is_new = [](const nlohmann::json& p) {
    return p["price"]["amount"] == 2500 && p["stock"] == 3;
  };
  for (const char* gateway : {"gateway", "gateway2"}) {
    auto product_delay = Until(
        gateway, product, [&](const HttpResult& r) { return is_new(r.json); }, changed_at);
    auto search_delay = Until(
        gateway, search,
        [&](const HttpResult& r) {
          return r.json["products"].size() == 1 && is_new(r.json["products"][0]);
        },
        changed_at);
    ASSERT_TRUE(product_delay.has_value()) << gateway << " never served the new price";
    ASSERT_TRUE(search_delay.has_value()) << gateway << " never served the new search result";
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::cout << gateway << ": the change was served "
              << duration_cast<milliseconds>(*product_delay).count() << " ms (product), "
              << duration_cast<milliseconds>(*search_delay).count()
              << " ms (search) after the admin's call was sent\n";
  }
  // And it is cached again at the new version.
  EXPECT_EQ(WarmUntilHit("gateway2", product).json["price"]["amount"], 2500);
}

TEST_F(CatalogCacheTest, EtagIsTheSameOnBothReplicasAndIfNoneMatchAnswers304) {
  HttpResult first = Gateway("gateway").Get("/api/v1/categories");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string etag = first.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(first.Header("cache-control"), "public, no-cache");
  EXPECT_EQ(Gateway("gateway2").Get("/api/v1/categories").Header("etag"), etag);

  for (const char* gateway : {"gateway", "gateway2"}) {
    HttpResult again = Gateway(gateway).Get("/api/v1/categories", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(again.Header("etag"), etag);
    EXPECT_EQ(again.Header("cache-control"), "public, no-cache");
  }
  HttpResult other = Gateway("gateway").Get("/api/v1/categories", {{"If-None-Match", "\"x\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, first.body);
}

TEST_F(CatalogCacheTest, NoCacheAsksTheCatalogAndParameterSpellingsShareAnEntry) {
  const std::string target = "/api/v1/products?category=kitchen&page_size=20";
  HttpResult warm = WarmUntilHit("gateway", target);
  ASSERT_EQ(warm.status, 200);
  // Another order, the default page size left out, an ignored parameter: the same entry.
  HttpResult respelled = Gateway("gateway").Get("/api/v1/products?utm_source=x&category=kitchen");
  EXPECT_EQ(respelled.Header("x-cache"), "HIT");
  EXPECT_EQ(respelled.body, warm.body);

  HttpResult bypass = Gateway("gateway").Get(target, {{"Cache-Control", "no-cache"}});
  EXPECT_EQ(bypass.status, 200);
  EXPECT_EQ(bypass.Header("x-cache"), "BYPASS");
  EXPECT_EQ(bypass.body, warm.body);
}

TEST_F(CatalogCacheTest, AWriteThroughAGatewayIsReadBackThroughItAtOnce) {
  const std::string id = NewProduct(absl::StrCat("zq", RandomHex(4))).id();
  const std::string product = "/api/v1/products/" + id;
  ASSERT_EQ(WarmUntilHit("gateway", product).json["stock"], 10);
  HttpResult patched = Gateway("gateway").Send("PATCH", "/api/v1/admin/products/" + id,
                                               R"({"stock": 4})", AdminJsonHeaders());
  ASSERT_EQ(patched.status, 200) << patched.body;
  // No waiting: the gateway that passed the write on does not serve its older entry.
  HttpResult read = Gateway("gateway").Get(product);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.json["stock"], 4);
  EXPECT_NE(read.Header("x-cache"), "HIT");
}

// The version is derived from the database's rows, so two catalog replicas that applied the
// same changes report the same number, whichever replica a gateway asks.
TEST_F(CatalogCacheTest, TwoCatalogReplicasAgreeOnTheVersionOnceBothHaveAChange) {
  ASSERT_TRUE(suite_->StartReplica("catalog", "catalog2").ok());
  const std::string id = NewProduct(absl::StrCat("zq", RandomHex(4))).id();
  auto agree = [] {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (VersionOf("catalog") != VersionOf("catalog2") && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return VersionOf("catalog") == VersionOf("catalog2");
  };
  ASSERT_TRUE(agree());
  const int64_t before = VersionOf("catalog2");
  SetPriceAndStock(id, 1700, 2);  // through the first replica; the second hears of it by NOTIFY
  EXPECT_GT(VersionOf("catalog"), before);
  ASSERT_TRUE(agree());
  EXPECT_GT(VersionOf("catalog2"), before);
}

}  // namespace
}  // namespace mercato::testing
