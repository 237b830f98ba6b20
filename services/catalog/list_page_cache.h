// Serialized ListProductsResponse bytes of browse pages (no query text), so a page asked for
// again is answered without copying products or serializing (CatalogService's raw
// ListProducts handler).
//
// Freshness: each entry is tagged with the ProductCache generation it was read at, and is
// found only at exactly that generation. Every Reset / Apply of the read model bumps the
// generation, so a page built before a change is never served after it; the first entry
// stored at a newer generation drops every older one.
//
// Memory: at most max_entries entries and max_bytes bytes (keys and values); past either bound
// the oldest entries are evicted first; a page larger than max_bytes is not stored.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mercato::catalog {

class ListPageCache {
 public:
  using Bytes = std::shared_ptr<const std::string>;
  struct Options {
    size_t max_entries = 1024;
    size_t max_bytes = 4 * 1024 * 1024;
  };

  ListPageCache() : ListPageCache(Options{}) {}
  explicit ListPageCache(Options options) : options_(options) {}

  // The normalised request: the page size after defaults, the category and the page token
  // exactly as sent (a token decodes the same way every time).
  static std::string Key(int page_size, const std::string& category, const std::string& page_token);

  // The bytes stored for `key` at exactly `generation`; null otherwise.
  Bytes Find(const std::string& key, uint64_t generation) const;
  // Stores `bytes` for `key`, read at `generation`. Ignored when an entry of a newer generation
  // is already stored (this page is stale).
  void Insert(const std::string& key, uint64_t generation, Bytes bytes);

  size_t size() const;
  size_t bytes() const;
  // Find()s that found a page, and that did not.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  void EvictOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, Bytes> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> insertion_order_ ABSL_GUARDED_BY(mu_);  // oldest first
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

}  // namespace mercato::catalog
