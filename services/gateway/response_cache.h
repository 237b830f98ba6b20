// The gateway's cache of public catalog reads (GET /api/v1/products, /api/v1/products/{id},
// /api/v1/categories: answers that do not depend on the caller).
//
// Freshness: the catalog publishes a version of what it serves (CatalogVersion in
// catalog.proto: it grows with every product or stock change, and replicas that applied the
// same changes report the same number). Each catalog answer carries the version it is at
// least as new as; the cached entry is tagged with it. CatalogVersionPoller asks the catalog
// for its current version every MERCATO_GATEWAY_CACHE_POLL_MS (100 ms by default) and
// CatalogVersionTracker remembers it with the time the question was sent. An entry is served
// only when its tag equals the known version and that version was confirmed less than
// kCatalogVersionFreshFor (500 ms) ago; otherwise the catalog is asked. So a change is served
// by every gateway replica at most one poll interval plus a poll's round trip after the
// catalog's read model has it, and if the catalog cannot be asked the cache stops answering
// after 500 ms.
//
// Memory: ResponseCache is an LRU bounded by MERCATO_GATEWAY_CACHE_MAX_BYTES (keys, bodies,
// ETags and a fixed per-entry overhead counted); metrics mercato_gateway_cache_hits_total,
// _misses_total, _evictions_total and mercato_gateway_cache_bytes.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/http_types.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::gateway {

// How long a confirmed catalog version is trusted without a newer confirmation.
inline constexpr std::chrono::milliseconds kCatalogVersionFreshFor{500};

// A rendered 200 answer and the catalog version it is at least as new as.
struct CachedResponse {
  std::string body;
  // Quoted strong ETag (BodyEtag, etag.h).
  std::string etag;
  int64_t version = 0;
};

// An LRU of CachedResponse by key, bounded in bytes. Thread-safe.
class ResponseCache {
 public:
  // Bytes counted per entry besides its key, body and ETag (list and map nodes).
  static constexpr size_t kEntryOverhead = 128;

  // The metrics are registered in `registry`.
  ResponseCache(size_t max_bytes, prometheus::Registry& registry);

  // The entry under `key` when it was built at `version` (a hit: it becomes the most recently
  // used), else null (a miss).
  std::shared_ptr<const CachedResponse> Find(const std::string& key, int64_t version);
  // Stores or replaces the entry under `key`, then evicts the least recently used entries
  // until the total is within the bound. An entry larger than the bound is not stored.
  void Store(const std::string& key, CachedResponse response);

  struct Stats {
    double hits = 0;
    double misses = 0;
    double evictions = 0;
    size_t bytes = 0;
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const CachedResponse> response;
    size_t bytes = 0;
  };
  using Lru = std::list<Node>;

  void EraseLocked(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  prometheus::Counter& hits_;
  prometheus::Counter& misses_;
  prometheus::Counter& evictions_;
  prometheus::Gauge& bytes_gauge_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::string, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// What a gateway knows of the catalog's version, and since when. Thread-safe.
class CatalogVersionTracker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CatalogVersionTracker(std::chrono::milliseconds fresh_for = kCatalogVersionFreshFor)
      : fresh_for_(fresh_for) {}

  // The catalog answered `version` to a question sent at `asked_at`. An answer to an older
  // question than the last one recorded is ignored.
  void Confirm(int64_t version, Clock::time_point asked_at);
  // The known version when it was confirmed by a question sent less than fresh_for before
  // `now` and not before the last Invalidate; else nullopt.
  std::optional<int64_t> Fresh(Clock::time_point now) const;
  // Only a question sent from `now` on confirms a version: after this gateway passed on a
  // write that may change the catalog (an admin edit, a checkout), its next reads wait for
  // the catalog's new version (read your writes through one gateway).
  void Invalidate(Clock::time_point now);

 private:
  const std::chrono::milliseconds fresh_for_;
  mutable absl::Mutex mu_;
  std::optional<int64_t> version_ ABSL_GUARDED_BY(mu_);
  Clock::time_point asked_at_ ABSL_GUARDED_BY(mu_);
  Clock::time_point not_before_ ABSL_GUARDED_BY(mu_);
};

// Asks the catalog for its version every `interval` on a thread of its own, and records each
// answer in the tracker, until destroyed.
class CatalogVersionPoller {
 public:
  using Fetch = std::function<absl::StatusOr<int64_t>()>;
  CatalogVersionPoller(CatalogVersionTracker& tracker, std::chrono::milliseconds interval,
                       Fetch fetch);
  ~CatalogVersionPoller();
  CatalogVersionPoller(const CatalogVersionPoller&) = delete;
  CatalogVersionPoller& operator=(const CatalogVersionPoller&) = delete;

 private:
  void Run();
  // Asks once; true when it succeeded.
  bool PollOnce(bool log_failure);

  CatalogVersionTracker& tracker_;
  const std::chrono::milliseconds interval_;
  const Fetch fetch_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The cache of the catalog routes: entries, the catalog's version and its poller.
struct CatalogCache {
  CatalogCache(size_t max_bytes, std::chrono::milliseconds poll_interval,
               CatalogVersionPoller::Fetch fetch, prometheus::Registry& registry)
      : entries(max_bytes, registry), poller(version, poll_interval, std::move(fetch)) {}

  ResponseCache entries;
  CatalogVersionTracker version;
  CatalogVersionPoller poller;  // last: stopped first
};

// Whether a request may change what the catalog serves (a write to the admin, checkout or
// orders API), so that CatalogVersionTracker::Invalidate should follow it.
bool MayChangeCatalog(const HttpRequest& request);

// Cache keys: what the catalog's answer depends on, whatever the spelling of the URL
// (parameter order, defaults spelled out or left out, parameters the route ignores).
std::string ListProductsCacheKey(const catalog::v1::ListProductsRequest& request);
std::string ProductCacheKey(std::string_view id);
std::string CategoriesCacheKey();

// Whether the request asks for an answer not taken from a cache: Cache-Control no-cache or
// max-age=0, or Pragma: no-cache.
bool RequestsRevalidation(const HttpRequest& request);

}  // namespace mercato::gateway
