// Unit tests of the gateway's response cache (response_cache.h): the LRU bound in bytes,
// eviction, versions, the freshness of the catalog version, cache keys and the HTTP caching
// headers.
#include "gateway/response_cache.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/limits.h"

namespace mercato::gateway {
namespace {

using std::chrono::milliseconds;
using Clock = CatalogVersionTracker::Clock;

CachedResponse Body(std::string body, int64_t version = 7) {
  return {.body = std::move(body), .etag = "\"e\"", .version = version};
}

// Bytes an entry counts: key, body, ETag and the fixed overhead.
size_t EntryBytes(const std::string& key, const std::string& body) {
  return key.size() + body.size() + 3 + ResponseCache::kEntryOverhead;
}

TEST(ResponseCacheTest, FindsAnEntryOnlyAtTheVersionItWasBuiltAt) {
  prometheus::Registry registry;
  ResponseCache cache(1 << 20, registry);
  EXPECT_EQ(cache.Find("k", 7), nullptr);
  cache.Store("k", Body("hello", 7));
  auto hit = cache.Find("k", 7);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, "hello");
  EXPECT_EQ(cache.Find("k", 8), nullptr);  // the catalog moved on: a miss
  cache.Store("k", Body("newer", 8));      // replaces
  EXPECT_EQ(cache.Find("k", 8)->body, "newer");
  auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.misses, 2);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, EntryBytes("k", "newer"));
}

TEST(ResponseCacheTest, EvictsTheLeastRecentlyUsedBeyondTheBound) {
  prometheus::Registry registry;
  const std::string body(100, 'x');
  const size_t each = EntryBytes("a", body);
  ResponseCache cache(3 * each, registry);
  cache.Store("a", Body(body));
  cache.Store("b", Body(body));
  cache.Store("c", Body(body));
  ASSERT_NE(cache.Find("a", 7), nullptr);  // a is now the most recently used; b the least
  cache.Store("d", Body(body));
  EXPECT_EQ(cache.Find("b", 7), nullptr);
  EXPECT_NE(cache.Find("a", 7), nullptr);
  EXPECT_NE(cache.Find("c", 7), nullptr);
  EXPECT_NE(cache.Find("d", 7), nullptr);
  auto stats = cache.stats();
  EXPECT_EQ(stats.evictions, 1);
  EXPECT_EQ(stats.entries, 3u);
  EXPECT_EQ(stats.bytes, 3 * each);
}

TEST(ResponseCacheTest, NeverHoldsMoreThanTheBound) {
  prometheus::Registry registry;
  const size_t bound = 5000;
  ResponseCache cache(bound, registry);
  for (int i = 0; i < 200; ++i) {
    cache.Store("key-" + std::to_string(i), Body(std::string(static_cast<size_t>(i * 7), 'y')));
    ASSERT_LE(cache.stats().bytes, bound);
  }
  // Too big for the bound: not stored, and it does not empty the cache.
  const size_t before = cache.stats().entries;
  cache.Store("huge", Body(std::string(bound, 'z')));
  EXPECT_EQ(cache.Find("huge", 7), nullptr);
  EXPECT_EQ(cache.stats().entries, before);
}

TEST(ResponseCacheTest, ExportsItsMetrics) {
  prometheus::Registry registry;
  ResponseCache cache(1 << 20, registry);
  cache.Store("k", Body("hello"));
  cache.Find("k", 7);
  std::map<std::string, double> values;
  for (const auto& family : registry.Collect()) {
    values[family.name] = family.metric.at(0).counter.value + family.metric.at(0).gauge.value;
  }
  EXPECT_EQ(values.at("mercato_gateway_cache_hits_total"), 1);
  EXPECT_EQ(values.at("mercato_gateway_cache_misses_total"), 0);
  EXPECT_EQ(values.at("mercato_gateway_cache_evictions_total"), 0);
  EXPECT_EQ(values.at("mercato_gateway_cache_bytes"), EntryBytes("k", "hello"));
}

TEST(CatalogVersionTrackerTest, AVersionIsFreshForItsPeriodAfterTheQuestion) {
  CatalogVersionTracker tracker(milliseconds(500));
  const Clock::time_point t0{};
  EXPECT_FALSE(tracker.Fresh(t0).has_value());  // never confirmed
  tracker.Confirm(41, t0);
  EXPECT_EQ(tracker.Fresh(t0 + milliseconds(499)), 41);
  EXPECT_FALSE(tracker.Fresh(t0 + milliseconds(500)).has_value());
  tracker.Confirm(42, t0 + milliseconds(400));
  EXPECT_EQ(tracker.Fresh(t0 + milliseconds(899)), 42);
  // The answer to an older question arriving late changes nothing.
  tracker.Confirm(41, t0 + milliseconds(300));
  EXPECT_EQ(tracker.Fresh(t0 + milliseconds(500)), 42);
}

TEST(CatalogVersionTrackerTest, AfterInvalidateOnlyALaterQuestionConfirms) {
  CatalogVersionTracker tracker(milliseconds(500));
  const Clock::time_point t0{};
  tracker.Confirm(41, t0);
  tracker.Invalidate(t0 + milliseconds(10));
  EXPECT_FALSE(tracker.Fresh(t0 + milliseconds(20)).has_value());
  tracker.Confirm(41, t0 + milliseconds(5));  // asked before the write: still not fresh
  EXPECT_FALSE(tracker.Fresh(t0 + milliseconds(20)).has_value());
  tracker.Confirm(42, t0 + milliseconds(10));
  EXPECT_EQ(tracker.Fresh(t0 + milliseconds(20)), 42);
}

TEST(HttpCachingTest, WritesToAdminCheckoutAndOrdersMayChangeTheCatalog) {
  auto request = [](http::verb method, const char* path) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    return MayChangeCatalog(r);
  };
  EXPECT_TRUE(request(http::verb::put, "/api/v1/admin/products/x/stock"));
  EXPECT_TRUE(request(http::verb::post, "/api/v1/checkout"));
  EXPECT_TRUE(request(http::verb::post, "/api/v1/orders/o1/cancel"));
  EXPECT_FALSE(request(http::verb::get, "/api/v1/admin/products"));
  EXPECT_FALSE(request(http::verb::post, "/api/v1/cart/items"));
}

TEST(CatalogVersionPollerTest, RecordsEachAnswerAndKeepsAskingAfterAFailure) {
  CatalogVersionTracker tracker(milliseconds(60000));
  std::atomic<int> calls{0};
  {
    CatalogVersionPoller poller(tracker, milliseconds(10), [&]() -> absl::StatusOr<int64_t> {
      const int n = ++calls;
      if (n == 1) return absl::UnavailableError("down");
      return n;
    });
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (calls < 3 && Clock::now() < deadline) std::this_thread::yield();
  }  // stops the thread
  ASSERT_GE(calls.load(), 3);
  auto known = tracker.Fresh(Clock::now());
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(*known, calls.load());
}

TEST(CacheKeyTest, ListingKeysIgnoreParameterOrderAndSpelledOutDefaults) {
  catalog::v1::ListProductsRequest a;
  a.set_category("kitchen");
  a.set_query("mug");
  catalog::v1::ListProductsRequest b = a;
  b.set_page_size(kDefaultPageSize);
  EXPECT_EQ(ListProductsCacheKey(a), ListProductsCacheKey(b));
  b.set_page_size(5);
  EXPECT_NE(ListProductsCacheKey(a), ListProductsCacheKey(b));
  catalog::v1::ListProductsRequest swapped;  // category and query values exchanged
  swapped.set_category("mug");
  swapped.set_query("kitchen");
  EXPECT_NE(ListProductsCacheKey(a), ListProductsCacheKey(swapped));
  catalog::v1::ListProductsRequest paged = a;
  paged.set_page_token("tok");
  EXPECT_NE(ListProductsCacheKey(a), ListProductsCacheKey(paged));
  // A value cannot imitate the separators of another field.
  catalog::v1::ListProductsRequest tricky;
  tricky.set_category("kitchen;3:mug");
  EXPECT_NE(ListProductsCacheKey(a), ListProductsCacheKey(tricky));
  EXPECT_NE(ProductCacheKey("a"), ProductCacheKey("b"));
  EXPECT_NE(ProductCacheKey(""), CategoriesCacheKey());
}

TEST(HttpCachingTest, NoCacheOrMaxAgeZeroAsksForRevalidation) {
  auto with = [](http::field field, const char* value) {
    HttpRequest r;
    r.headers.set(field, value);
    return RequestsRevalidation(r);
  };
  EXPECT_FALSE(RequestsRevalidation(HttpRequest()));
  EXPECT_TRUE(with(http::field::cache_control, "no-cache"));
  EXPECT_TRUE(with(http::field::cache_control, "max-stale=5, No-Cache"));
  EXPECT_TRUE(with(http::field::cache_control, "max-age=0"));
  EXPECT_TRUE(with(http::field::pragma, "no-cache"));
  EXPECT_FALSE(with(http::field::cache_control, "max-age=60"));
}

}  // namespace
}  // namespace mercato::gateway
