#include "gateway/response_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/limits.h"
#include "common/logging.h"

namespace mercato::gateway {
namespace {

prometheus::Counter& CacheCounter(prometheus::Registry& registry, const std::string& name,
                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

// This Abseil's string_view is not std::string_view.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A length-prefixed field, so that no value can imitate a separator.
void AppendKeyField(std::string& key, std::string_view value) {
  absl::StrAppend(&key, value.size(), ":", Absl(value), ";");
}

// The comma-separated directives of a header, trimmed and lower-cased.
std::vector<std::string> HeaderTokens(std::string_view value) {
  std::vector<std::string> tokens;
  for (absl::string_view part : absl::StrSplit(Absl(value), ',')) {
    std::string token(absl::StripAsciiWhitespace(part));
    absl::AsciiStrToLower(&token);
    token.erase(std::remove(token.begin(), token.end(), ' '), token.end());
    if (!token.empty()) tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace

// ---- ResponseCache ----

ResponseCache::ResponseCache(size_t max_bytes, prometheus::Registry& registry)
    : max_bytes_(max_bytes),
      hits_(CacheCounter(registry, "mercato_gateway_cache_hits_total",
                         "Catalog reads answered from the gateway's response cache")),
      misses_(CacheCounter(registry, "mercato_gateway_cache_misses_total",
                           "Catalog reads the response cache could not answer (no entry, or "
                           "one built at another catalog version)")),
      evictions_(CacheCounter(registry, "mercato_gateway_cache_evictions_total",
                              "Response cache entries evicted to stay within "
                              "MERCATO_GATEWAY_CACHE_MAX_BYTES")),
      bytes_gauge_(prometheus::BuildGauge()
                       .Name("mercato_gateway_cache_bytes")
                       .Help("Bytes held by the response cache (keys, bodies, ETags and a "
                             "per-entry overhead)")
                       .Register(registry)
                       .Add({})) {}

std::shared_ptr<const CachedResponse> ResponseCache::Find(const std::string& key, int64_t version) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end() || it->second->response->version != version) {
    misses_.Increment();
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  hits_.Increment();
  return it->second->response;
}

void ResponseCache::Store(const std::string& key, CachedResponse response) {
  const size_t bytes = key.size() + response.body.size() + response.etag.size() + kEntryOverhead;
  absl::MutexLock lock(&mu_);
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it->second);
  if (bytes > max_bytes_) {
    bytes_gauge_.Set(static_cast<double>(bytes_));
    return;
  }
  lru_.push_front(Node{key, std::make_shared<const CachedResponse>(std::move(response)), bytes});
  index_[key] = lru_.begin();
  bytes_ += bytes;
  while (bytes_ > max_bytes_) {
    EraseLocked(std::prev(lru_.end()));
    evictions_.Increment();
  }
  bytes_gauge_.Set(static_cast<double>(bytes_));
}

void ResponseCache::EraseLocked(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

ResponseCache::Stats ResponseCache::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{.hits = hits_.Value(),
               .misses = misses_.Value(),
               .evictions = evictions_.Value(),
               .bytes = bytes_,
               .entries = lru_.size()};
}

// ---- CatalogVersionTracker ----

void CatalogVersionTracker::Confirm(int64_t version, Clock::time_point asked_at) {
  absl::MutexLock lock(&mu_);
  if (version_ && asked_at < asked_at_) return;
  version_ = version;
  asked_at_ = asked_at;
}

std::optional<int64_t> CatalogVersionTracker::Fresh(Clock::time_point now) const {
  absl::MutexLock lock(&mu_);
  if (!version_ || now - asked_at_ >= fresh_for_ || asked_at_ < not_before_) return std::nullopt;
  return version_;
}

void CatalogVersionTracker::Invalidate(Clock::time_point now) {
  absl::MutexLock lock(&mu_);
  not_before_ = std::max(not_before_, now);
}

// ---- CatalogVersionPoller ----

CatalogVersionPoller::CatalogVersionPoller(CatalogVersionTracker& tracker,
                                           std::chrono::milliseconds interval, Fetch fetch)
    : tracker_(tracker), interval_(interval), fetch_(std::move(fetch)) {
  thread_ = std::thread([this] { Run(); });
}

CatalogVersionPoller::~CatalogVersionPoller() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

bool CatalogVersionPoller::PollOnce(bool log_failure) {
  const auto asked_at = CatalogVersionTracker::Clock::now();
  auto version = fetch_();
  if (!version.ok()) {
    if (log_failure) {
      spdlog::warn("catalog version poll failed, the response cache is paused: {}",
                   version.status());
    }
    return false;
  }
  tracker_.Confirm(*version, asked_at);
  return true;
}

void CatalogVersionPoller::Run() {
  bool ok = true;
  while (true) {
    const bool was_ok = ok;
    ok = PollOnce(/*log_failure=*/was_ok);  // one warning per outage, not one per poll
    if (ok && !was_ok) spdlog::info("catalog version poll answered again");
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::FromChrono(interval_));
    if (stop_) return;
  }
}

// ---- keys and HTTP caching headers ----

std::string ListProductsCacheKey(const catalog::v1::ListProductsRequest& request) {
  std::string key = "products?";
  AppendKeyField(key, request.category());
  AppendKeyField(key, request.query());
  AppendKeyField(key,
                 std::to_string(request.page_size() == 0 ? kDefaultPageSize : request.page_size()));
  AppendKeyField(key, request.page_token());
  return key;
}

std::string ProductCacheKey(std::string_view id) {
  std::string key = "product/";
  AppendKeyField(key, id);
  return key;
}

std::string CategoriesCacheKey() { return "categories"; }

bool MayChangeCatalog(const HttpRequest& request) {
  if (request.method == http::verb::get || request.method == http::verb::head) return false;
  for (std::string_view prefix : {"/api/v1/admin/", "/api/v1/checkout", "/api/v1/orders"}) {
    if (absl::StartsWith(request.path, Absl(prefix))) return true;
  }
  return false;
}

bool RequestsRevalidation(const HttpRequest& request) {
  for (const auto& token : HeaderTokens(request.Header(http::field::cache_control))) {
    if (token == "no-cache" || token == "max-age=0") return true;
  }
  for (const auto& token : HeaderTokens(request.Header(http::field::pragma))) {
    if (token == "no-cache") return true;
  }
  return false;
}

}  // namespace mercato::gateway
