// CatalogStore on PostgreSQL (schema in migrations/).
//
// Inventory is PostgreSQL's job, not this process's: stock is taken by conditional updates
// (UPDATE ... SET stock = stock - q WHERE stock >= q) under row locks taken in product id
// order, so any number of catalog replicas can reserve concurrently without overselling or
// deadlocking, and products.stock's CHECK (stock >= 0) backs that up.
#pragma once

#include <cstdint>

#include "catalog/catalog_store.h"
#include "db/pg_pool.h"

namespace mercato::catalog {

// What StockChanged calls low by default (MERCATO_LOW_STOCK_THRESHOLD).
inline constexpr int64_t kDefaultLowStockThreshold = 5;

// Every change of a product's facts or sellable stock also appends its event
// (product_events.h) to the outbox (libs/events) in the same transaction; StockChanged's
// low_stock flag is sellable <= low_stock_threshold.
class PostgresCatalogStore final : public CatalogStore {
 public:
  explicit PostgresCatalogStore(PgPool& pool,
                                int64_t low_stock_threshold = kDefaultLowStockThreshold)
      : pool_(pool), low_stock_threshold_(low_stock_threshold) {}

  absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() override;
  absl::StatusOr<std::vector<v1::Category>> ListCategories() override;
  absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>& categories,
                                  const std::vector<v1::Product>& products) override;

  absl::StatusOr<ReservationChange> ReserveStock(const std::string& reservation_id,
                                                 const std::vector<v1::ReservationItem>& items,
                                                 std::chrono::seconds ttl) override;
  absl::StatusOr<ReservationChange> CommitReservation(const std::string& reservation_id) override;
  absl::StatusOr<ReservationChange> ReleaseReservation(const std::string& reservation_id) override;
  absl::StatusOr<ExpiredReservations> ExpireReservations(int limit) override;

  absl::StatusOr<VersionedProduct> CreateProduct(const v1::Product& product) override;
  absl::StatusOr<VersionedProduct> UpdateProduct(const v1::Product& product,
                                                 const ProductFields& fields) override;
  absl::StatusOr<VersionedProduct> SetStock(const std::string& product_id, int64_t stock) override;

 private:
  PgPool& pool_;
  const int64_t low_stock_threshold_;
};

}  // namespace mercato::catalog
