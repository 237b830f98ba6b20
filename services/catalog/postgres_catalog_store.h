// CatalogStore on PostgreSQL (schema in migrations/).
#pragma once

#include "catalog/catalog_store.h"
#include "db/pg_pool.h"

namespace mercato::catalog {

class PostgresCatalogStore final : public CatalogStore {
 public:
  explicit PostgresCatalogStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() override;
  absl::StatusOr<std::vector<v1::Category>> ListCategories() override;
  absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>& categories,
                                  const std::vector<v1::Product>& products) override;

 private:
  PgPool& pool_;
};

}  // namespace mercato::catalog
