// The catalog's in-memory read model: every product and category, kept in browse order
// (name, then id, compared bytewise) and per category. Browsing, product pages and batch
// look-ups are answered from here without touching PostgreSQL; full-text search and
// inventory changes go to PostgreSQL.
//
// Freshness: this process updates the cache itself after each write it commits (read your
// writes); changes made by other replicas arrive through PostgreSQL LISTEN/NOTIFY
// (CacheRefresher) within milliseconds. Memory: about 1 KiB per product, fine for catalogs
// up to a few hundred thousand products.
//
// Version: the sum of the cached rows' versions (v1::CatalogVersion in catalog.proto). Every
// change of a product row bumps its version column in the committing transaction, and the
// cache only ever replaces a row by a newer one, so the sum grows with each change applied;
// replicas that applied the same changes report the same sum. An answer built after reading
// version() is at least as new as that version.
//
// Generation: a counter of this process's changes to the content (every Reset and Apply bumps
// it; it never repeats). Unlike the version it says nothing across replicas, but two reads at
// the same generation saw exactly the same content (ListPageCache keys its entries on it).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "catalog/catalog_store.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog {

// What List() read, taken under the same lock as the page.
struct ReadModelStamp {
  int64_t version = 0;
  uint64_t generation = 0;
};

class ProductCache {
 public:
  using ProductPtr = std::shared_ptr<const v1::Product>;

  // Replaces the whole content.
  void Reset(std::vector<VersionedProduct> products, std::vector<v1::Category> categories);
  // Inserts products, or replaces them when the given version is newer than the cached one;
  // removes the ids in `removed`.
  void Apply(const std::vector<VersionedProduct>& upserts, const std::vector<std::string>& removed);

  // Browse order, filtered by category (empty = all); ignores query.text. `stamp`, when given,
  // receives the version and generation of the content the page was read from.
  ProductPage List(const ProductQuery& query, ReadModelStamp* stamp = nullptr) const;
  std::optional<v1::Product> Get(const std::string& id) const;
  // The products that exist among `ids` (shared, not copied: cached products are immutable).
  std::vector<ProductPtr> GetMany(const std::vector<std::string>& ids) const;
  // Whether every one of `ids` is cached.
  template <typename Ids>
  bool HasAll(const Ids& ids) const {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& id : ids) {
      if (!by_id_.count(id)) return false;
    }
    return true;
  }
  std::vector<v1::Category> Categories() const;
  bool HasCategory(const std::string& id) const;
  size_t size() const;
  // The catalog version of the content (see above); 0 when empty.
  int64_t version() const;
  // The generation of the content (see above); without taking the lock.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  using Key = std::pair<std::string, std::string>;  // (name, id)
  void InsertLocked(ProductPtr product, int64_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Readers share it (ReaderMutexLock); Reset and Apply hold it exclusively.
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, ProductPtr> by_id_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, int64_t> versions_ ABSL_GUARDED_BY(mu_);
  std::map<Key, ProductPtr> ordered_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::set<Key>> by_category_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Category> categories_ ABSL_GUARDED_BY(mu_);
  // Sum of versions_' values.
  int64_t version_sum_ ABSL_GUARDED_BY(mu_) = 0;
  // Written only with mu_ held exclusively, after the change it counts.
  std::atomic<uint64_t> generation_{0};
};

}  // namespace mercato::catalog
