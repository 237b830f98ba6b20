// gRPC handlers of mercato.catalog.v1.CatalogService. They validate requests and translate
// page tokens. Browsing and look-ups are answered from the in-memory ProductCache on the gRPC
// thread; search and anything that needs PostgreSQL runs on the executor.
//
// ListProducts is a raw method (request and response are bytes): a browse page (no query
// text) is answered from ListPageCache's serialized pages while the read model is at the
// generation the page was built at, else built from the ProductCache, serialized and stored.
// Authentication, validation and its errors are the same as the typed methods'.
//
// Inventory (ReserveStock / CommitReservation / ReleaseReservation / ReturnStock) is
// InventoryService's (inventory_service.h, where its contract is); the admin writes (UpsertProduct
// / SetStock) go to the store. After a write commits, the products it changed are refreshed in this
// process's cache before the call returns (read your writes).
#pragma once

#include <prometheus/registry.h>

#include <chrono>
#include <memory>

#include "catalog/cache_refresher.h"
#include "catalog/catalog_store.h"
#include "catalog/inventory_service.h"
#include "catalog/list_page_cache.h"
#include "catalog/product_cache.h"
#include "common/executor.h"
#include "common/limits.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"

namespace mercato::catalog {

inline constexpr int kMaxQueryLength = 200;

// Limits of the admin API.
inline constexpr int kMaxProductNameLength = 200;          // characters
inline constexpr int kMaxProductDescriptionLength = 5000;  // characters
inline constexpr int kMaxProductCategories = 20;
inline constexpr size_t kMaxImageUrlLength = 2048;
inline constexpr int64_t kMaxStock = 1000000000;

using CatalogServiceBase =
    v1::CatalogService::WithRawCallbackMethod_ListProducts<v1::CatalogService::CallbackService>;

class CatalogService final : public CatalogServiceBase {
 public:
  // `metrics_registry`: where the inventory counters go (the process's Metrics registry);
  // null keeps them in a private registry (tests).
  CatalogService(CatalogStore& store, ProductCache& cache, CacheRefresher& refresher,
                 BoundedExecutor& executor, InventoryOptions inventory = {},
                 prometheus::Registry* metrics_registry = nullptr);

  // The logic of each RPC, callable without gRPC (unit tests, benchmarks).
  absl::Status DoListProducts(const v1::ListProductsRequest& request,
                              v1::ListProductsResponse* response);
  absl::Status DoGetProduct(const v1::GetProductRequest& request, v1::Product* response);
  absl::Status DoBatchGetProducts(const v1::BatchGetProductsRequest& request,
                                  v1::BatchGetProductsResponse* response);
  absl::Status DoListCategories(v1::ListCategoriesResponse* response);
  // The read model's version (ProductCache::version()), for the gateway's response cache.
  absl::Status DoGetCatalogVersion(v1::CatalogVersion* response);
  absl::Status DoReserveStock(const v1::ReserveStockRequest& request, v1::Reservation* response);
  absl::Status DoCommitReservation(const v1::CommitReservationRequest& request,
                                   v1::Reservation* response);
  absl::Status DoReleaseReservation(const v1::ReleaseReservationRequest& request,
                                    v1::Reservation* response);
  absl::Status DoReturnStock(const v1::ReturnStockRequest& request, v1::Reservation* response);
  // Admin only: the caller is CurrentCall() (RequireAdmin).
  absl::Status DoUpsertProduct(const v1::UpsertProductRequest& request, v1::Product* response);
  absl::Status DoSetStock(const v1::SetStockRequest& request, v1::Product* response);

  // A serialized ListProductsRequest in, a serialized ListProductsResponse out.
  grpc::ServerUnaryReactor* ListProducts(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  // The serialized browse pages (tests).
  const ListPageCache& page_cache() const { return pages_; }

  grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* ctx,
                                       const v1::GetProductRequest* request,
                                       v1::Product* response) override;
  grpc::ServerUnaryReactor* BatchGetProducts(grpc::CallbackServerContext* ctx,
                                             const v1::BatchGetProductsRequest* request,
                                             v1::BatchGetProductsResponse* response) override;
  grpc::ServerUnaryReactor* ListCategories(grpc::CallbackServerContext* ctx,
                                           const v1::ListCategoriesRequest* request,
                                           v1::ListCategoriesResponse* response) override;
  grpc::ServerUnaryReactor* GetCatalogVersion(grpc::CallbackServerContext* ctx,
                                              const v1::GetCatalogVersionRequest* request,
                                              v1::CatalogVersion* response) override;
  grpc::ServerUnaryReactor* ReserveStock(grpc::CallbackServerContext* ctx,
                                         const v1::ReserveStockRequest* request,
                                         v1::Reservation* response) override;
  grpc::ServerUnaryReactor* CommitReservation(grpc::CallbackServerContext* ctx,
                                              const v1::CommitReservationRequest* request,
                                              v1::Reservation* response) override;
  grpc::ServerUnaryReactor* ReleaseReservation(grpc::CallbackServerContext* ctx,
                                               const v1::ReleaseReservationRequest* request,
                                               v1::Reservation* response) override;
  grpc::ServerUnaryReactor* ReturnStock(grpc::CallbackServerContext* ctx,
                                        const v1::ReturnStockRequest* request,
                                        v1::Reservation* response) override;
  grpc::ServerUnaryReactor* UpsertProduct(grpc::CallbackServerContext* ctx,
                                          const v1::UpsertProductRequest* request,
                                          v1::Product* response) override;
  grpc::ServerUnaryReactor* SetStock(grpc::CallbackServerContext* ctx,
                                     const v1::SetStockRequest* request,
                                     v1::Product* response) override;

 private:
  // Validates a ListProducts request into a query.
  absl::StatusOr<ProductQuery> ParseListRequest(const v1::ListProductsRequest& request) const;
  // DoListProducts; `generation`, when given, receives the ProductCache generation a browse
  // page was read at.
  absl::Status ListInto(const v1::ListProductsRequest& request, v1::ListProductsResponse* response,
                        uint64_t* generation);
  // A browse page's bytes, from the page cache or built and stored there.
  absl::Status ListBrowsePage(const v1::ListProductsRequest& request, grpc::ByteBuffer* response);
  // Products the cache does not have (yet): asks PostgreSQL and fills the cache.
  absl::StatusOr<std::vector<v1::Product>> LoadMissing(const std::vector<std::string>& ids);
  // Validates the `fields` of a product for an admin write.
  absl::Status ValidateProduct(v1::Product& product, const ProductFields& fields);
  // Every id names a category (the cache first, then the store).
  absl::Status CheckCategoriesExist(const v1::Product& product);

  CatalogStore& store_;
  ProductCache& cache_;
  CacheRefresher& refresher_;
  BoundedExecutor& executor_;
  ListPageCache pages_;
  std::shared_ptr<prometheus::Registry> own_registry_;  // when none was given
  InventoryService inventory_;
};

}  // namespace mercato::catalog
