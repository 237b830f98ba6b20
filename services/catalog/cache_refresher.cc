#include "catalog/cache_refresher.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <set>

#include "common/logging.h"
#include "db/pg_pool.h"

namespace mercato::catalog {
namespace {

constexpr char kChannel[] = "catalog_products";

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::set<std::string>& ids)
      : pqxx::notification_receiver(conn, kChannel), ids_(ids) {}
  void operator()(const std::string& payload, int) override { ids_.insert(payload); }

 private:
  std::set<std::string>& ids_;
};

}  // namespace

CacheRefresher::CacheRefresher(std::string conninfo, CatalogStore& store, ProductCache& cache,
                               std::chrono::seconds full_reload_interval)
    // The LISTEN connection gives up connecting as the pool's do.
    : conninfo_(WithConnectTimeout(conninfo, PgPool::Options{}.connect_timeout)),
      store_(store),
      cache_(cache),
      full_reload_interval_(full_reload_interval) {}

CacheRefresher::~CacheRefresher() { Stop(); }

absl::Status CacheRefresher::LoadAll() {
  auto products = store_.LoadAllProducts();
  if (!products.ok()) return products.status();
  auto categories = store_.ListCategories();
  if (!categories.ok()) return categories.status();
  const size_t n = products->size();
  cache_.Reset(*std::move(products), *std::move(categories));
  spdlog::debug("catalog cache loaded: {} products", n);
  return absl::OkStatus();
}

absl::Status CacheRefresher::Refresh(const std::vector<std::string>& ids) {
  auto products = store_.LoadProducts(ids);
  if (!products.ok()) return products.status();
  std::set<std::string> found;
  for (const auto& p : *products) found.insert(p.product.id());
  std::vector<std::string> removed;
  for (const auto& id : ids) {
    if (!found.count(id)) removed.push_back(id);
  }
  cache_.Apply(*products, removed);
  return absl::OkStatus();
}

void CacheRefresher::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void CacheRefresher::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CacheRefresher::Run() {
  while (!stop_) {
    try {
      pqxx::connection conn(conninfo_);
      std::set<std::string> pending;
      Receiver receiver(conn, pending);
      // Listening first, then loading, so that no change falls between the two.
      conn.get_notifs();
      if (absl::Status s = LoadAll(); !s.ok()) throw std::runtime_error(s.ToString());
      auto next_full = std::chrono::steady_clock::now() + full_reload_interval_;
      while (!stop_) {
        conn.await_notification(0, 200000);  // wakes at least every 200 ms to check stop_
        if (!pending.empty()) {
          std::vector<std::string> ids(pending.begin(), pending.end());
          pending.clear();
          if (absl::Status s = Refresh(ids); !s.ok()) {
            spdlog::warn("catalog cache refresh failed: {}", s);
          }
        }
        if (std::chrono::steady_clock::now() >= next_full) {
          if (absl::Status s = LoadAll(); !s.ok()) spdlog::warn("catalog reload failed: {}", s);
          next_full = std::chrono::steady_clock::now() + full_reload_interval_;
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("catalog change listener lost its connection ({}); reconnecting", e.what());
      for (int i = 0; i < 10 && !stop_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

void RefreshAfterWrite(CacheRefresher& refresher, const std::vector<std::string>& product_ids) {
  if (product_ids.empty()) return;
  if (absl::Status s = refresher.Refresh(product_ids); !s.ok()) {
    spdlog::warn("cache refresh after a write failed (NOTIFY will catch up): {}", s);
  }
}

}  // namespace mercato::catalog
