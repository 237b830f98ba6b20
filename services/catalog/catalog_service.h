// gRPC handlers of mercato.catalog.v1.CatalogService. They validate requests and translate
// page tokens. Browsing and look-ups are answered from the in-memory ProductCache on the gRPC
// thread; search and anything that needs PostgreSQL runs on the executor.
#pragma once

#include "catalog/cache_refresher.h"
#include "catalog/catalog_store.h"
#include "catalog/product_cache.h"
#include "common/executor.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"

namespace mercato::catalog {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;
inline constexpr int kMaxQueryLength = 200;
inline constexpr int kMaxBatchIds = 100;

class CatalogService final : public v1::CatalogService::CallbackService {
 public:
  CatalogService(CatalogStore& store, ProductCache& cache, CacheRefresher& refresher,
                 BoundedExecutor& executor)
      : store_(store), cache_(cache), refresher_(refresher), executor_(executor) {}

  // The logic of each RPC, callable without gRPC (unit tests, benchmarks).
  absl::Status DoListProducts(const v1::ListProductsRequest& request,
                              v1::ListProductsResponse* response);
  absl::Status DoGetProduct(const v1::GetProductRequest& request, v1::Product* response);
  absl::Status DoBatchGetProducts(const v1::BatchGetProductsRequest& request,
                                  v1::BatchGetProductsResponse* response);
  absl::Status DoListCategories(v1::ListCategoriesResponse* response);

  grpc::ServerUnaryReactor* ListProducts(grpc::CallbackServerContext* ctx,
                                         const v1::ListProductsRequest* request,
                                         v1::ListProductsResponse* response) override;
  grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* ctx,
                                       const v1::GetProductRequest* request,
                                       v1::Product* response) override;
  grpc::ServerUnaryReactor* BatchGetProducts(grpc::CallbackServerContext* ctx,
                                             const v1::BatchGetProductsRequest* request,
                                             v1::BatchGetProductsResponse* response) override;
  grpc::ServerUnaryReactor* ListCategories(grpc::CallbackServerContext* ctx,
                                           const v1::ListCategoriesRequest* request,
                                           v1::ListCategoriesResponse* response) override;

 private:
  // Validates a ListProducts request into a query.
  absl::StatusOr<ProductQuery> ParseListRequest(const v1::ListProductsRequest& request) const;
  // Products the cache does not have (yet): asks PostgreSQL and fills the cache.
  absl::StatusOr<std::vector<v1::Product>> LoadMissing(const std::vector<std::string>& ids);

  CatalogStore& store_;
  ProductCache& cache_;
  CacheRefresher& refresher_;
  BoundedExecutor& executor_;
};

}  // namespace mercato::catalog
