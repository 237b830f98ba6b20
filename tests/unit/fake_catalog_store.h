// An in-memory CatalogStore for unit tests of the catalog service. Whoever adds a method to
// CatalogStore adds it here too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"

namespace mercato::catalog {

class FakeCatalogStore : public CatalogStore {
 public:
  std::map<std::string, VersionedProduct> products;
  std::vector<v1::Category> categories;
  // What SearchProducts returns, and the queries it was asked.
  ProductPage search_result;
  std::vector<ProductQuery> searches;
  int load_calls = 0;

  absl::StatusOr<ProductPage> SearchProducts(const ProductQuery& query) override {
    searches.push_back(query);
    return search_result;
  }
  absl::StatusOr<std::vector<VersionedProduct>> LoadProducts(
      const std::vector<std::string>& ids) override {
    ++load_calls;
    std::vector<VersionedProduct> out;
    for (const auto& id : ids) {
      if (auto it = products.find(id); it != products.end()) out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<std::vector<VersionedProduct>> LoadAllProducts() override {
    std::vector<VersionedProduct> out;
    for (const auto& [id, p] : products) out.push_back(p);
    return out;
  }
  absl::StatusOr<std::vector<v1::Category>> ListCategories() override { return categories; }
  absl::StatusOr<int> SeedIfEmpty(const std::vector<v1::Category>&,
                                  const std::vector<v1::Product>&) override {
    return 0;
  }
};

}  // namespace mercato::catalog
