// Keeps a ProductCache in step with PostgreSQL. On Start() it LISTENs on the
// "catalog_products" channel (the products table's trigger announces each changed id) and
// loads everything; then it applies each announced change by reloading just those rows.
// If the listening connection drops it reconnects and reloads everything, since
// announcements may have been missed meanwhile; a full reload also runs every
// `full_reload_interval` as a safety net.
//
//   CacheRefresher refresher(config.database_url, store, cache);
//   if (auto s = refresher.LoadAll(); !s.ok()) ...   // before serving
//   refresher.Start();
//   ...
//   refresher.Refresh({product_id});  // after this process commits a change
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "catalog/catalog_store.h"
#include "catalog/product_cache.h"

namespace mercato::catalog {

class CacheRefresher {
 public:
  CacheRefresher(std::string conninfo, CatalogStore& store, ProductCache& cache,
                 std::chrono::seconds full_reload_interval = std::chrono::seconds(60));
  ~CacheRefresher();

  // Loads every product and category into the cache.
  absl::Status LoadAll();
  // Reloads these products now (read-your-writes after a local commit).
  absl::Status Refresh(const std::vector<std::string>& ids);

  void Start();
  void Stop();

 private:
  void Run();

  const std::string conninfo_;
  CatalogStore& store_;
  ProductCache& cache_;
  const std::chrono::seconds full_reload_interval_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reloads these products into the cache after a commit of this process (read your writes). A
// failure is logged, not returned: the write is committed, and NOTIFY refreshes the cache
// shortly.
void RefreshAfterWrite(CacheRefresher& refresher, const std::vector<std::string>& product_ids);

}  // namespace mercato::catalog
