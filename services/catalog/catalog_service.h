// gRPC handlers of mercato.catalog.v1.CatalogService. They validate requests and translate
// page tokens. Browsing and look-ups are answered from the in-memory ProductCache on the gRPC
// thread; search and anything that needs PostgreSQL runs on the executor.
//
// Inventory (ReserveStock / CommitReservation / ReleaseReservation) and the admin writes
// (UpsertProduct / SetStock) go to the store; after a write commits, the products it changed
// are refreshed in this process's cache before the call returns (read your writes).
//
// The inventory contract (what checkout relies on):
//   States: held -> committed (final: the stock is sold) or held -> released / expired (final:
//   the stock is back). Reserved units count as held at once (products.reserved), so
//   Product.stock (on_hand - reserved) is what can still be bought; an admin's SetStock sets
//   on_hand and never hands held units out a second time.
//   ReserveStock(id, items, ttl): all items or none, in one transaction. Idempotent per id: a
//   repeat with the same items (after merging duplicate product ids) returns the stored
//   reservation unchanged, whatever its ttl, held or committed. Errors, all with an
//   ErrorInfo code: INVALID_ARGUMENT invalid_reservation_id / invalid_items /
//   invalid_quantity / invalid_ttl; NOT_FOUND product_not_found; FAILED_PRECONDITION
//   out_of_stock (message "not enough stock for product <id>: <n> requested, <m> available"),
//   reservation_mismatch (the id exists with other items), reservation_closed (the id was
//   released or expired). ttl_seconds 0 means the default (MERCATO_RESERVATION_TTL_S);
//   above MERCATO_RESERVATION_MAX_TTL_S is invalid_ttl.
//   CommitReservation(id): held -> committed; committed again: OK, unchanged; released /
//   expired: FAILED_PRECONDITION reservation_closed; unknown: NOT_FOUND
//   reservation_not_found. A held reservation past expires_at that the sweeper has not yet
//   expired is still committed: expiry is decided by the sweeper, not by the clock alone.
//   ReleaseReservation(id): held -> released, stock returned; released / expired: OK,
//   unchanged; committed: FAILED_PRECONDITION reservation_committed; unknown: recorded as
//   released without items, so that a ReserveStock arriving later is reservation_closed.
//   UNAVAILABLE / DEADLINE_EXCEEDED / ABORTED may be retried with the same id.
#pragma once

#include <prometheus/registry.h>

#include <chrono>
#include <memory>

#include "catalog/cache_refresher.h"
#include "catalog/catalog_store.h"
#include "catalog/inventory_metrics.h"
#include "catalog/product_cache.h"
#include "common/executor.h"
#include "common/limits.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"

namespace mercato::catalog {

inline constexpr int kMaxQueryLength = 200;

// Limits of the inventory and admin APIs.
inline constexpr int kMaxReservationLines = 1000;
inline constexpr int kMaxReservationQuantity = 1000000;
inline constexpr size_t kMaxReservationIdLength = 128;
inline constexpr int kMaxProductNameLength = 200;          // characters
inline constexpr int kMaxProductDescriptionLength = 5000;  // characters
inline constexpr int kMaxProductCategories = 20;
inline constexpr size_t kMaxImageUrlLength = 2048;
inline constexpr int64_t kMaxStock = 1000000000;

struct InventoryOptions {
  // ReserveStock's hold time when the request's ttl_seconds is 0, and the most it may ask.
  std::chrono::seconds default_ttl{900};
  std::chrono::seconds max_ttl{3600};
};

// Validates ReserveStock's lines: 1..1000 lines, quantities 1..1000000 (INVALID_ARGUMENT,
// codes "invalid_items" / "invalid_quantity"), product ids that are UUIDs (else NOT_FOUND
// "product_not_found"). Returns them merged per product (quantities added), ids lower-case,
// sorted by id: the order stock rows are locked in.
absl::StatusOr<std::vector<v1::ReservationItem>> NormalizeReservationItems(
    const google::protobuf::RepeatedPtrField<v1::ReservationItem>& items);
// 1..128 characters of [A-Za-z0-9._:-]; else INVALID_ARGUMENT "invalid_reservation_id".
absl::Status ValidateReservationId(const std::string& id);

class CatalogService final : public v1::CatalogService::CallbackService {
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
  absl::Status DoReserveStock(const v1::ReserveStockRequest& request, v1::Reservation* response);
  absl::Status DoCommitReservation(const v1::CommitReservationRequest& request,
                                   v1::Reservation* response);
  absl::Status DoReleaseReservation(const v1::ReleaseReservationRequest& request,
                                    v1::Reservation* response);
  // Admin only: the caller is CurrentCall() (RequireAdmin).
  absl::Status DoUpsertProduct(const v1::UpsertProductRequest& request, v1::Product* response);
  absl::Status DoSetStock(const v1::SetStockRequest& request, v1::Product* response);

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
  grpc::ServerUnaryReactor* ReserveStock(grpc::CallbackServerContext* ctx,
                                         const v1::ReserveStockRequest* request,
                                         v1::Reservation* response) override;
  grpc::ServerUnaryReactor* CommitReservation(grpc::CallbackServerContext* ctx,
                                              const v1::CommitReservationRequest* request,
                                              v1::Reservation* response) override;
  grpc::ServerUnaryReactor* ReleaseReservation(grpc::CallbackServerContext* ctx,
                                               const v1::ReleaseReservationRequest* request,
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
  // Products the cache does not have (yet): asks PostgreSQL and fills the cache.
  absl::StatusOr<std::vector<v1::Product>> LoadMissing(const std::vector<std::string>& ids);
  // Validates the `fields` of a product for an admin write.
  absl::Status ValidateProduct(v1::Product& product, const ProductFields& fields);
  // Every id names a category (the cache first, then the store).
  absl::Status CheckCategoriesExist(const v1::Product& product);
  // Reloads these products into the cache after a local commit (read your writes). A
  // failure is logged: the write is committed, and NOTIFY refreshes the cache shortly.
  void RefreshAfterWrite(const std::vector<std::string>& product_ids);
  void RefreshAfterWrite(const v1::Reservation& reservation);

  CatalogStore& store_;
  ProductCache& cache_;
  CacheRefresher& refresher_;
  BoundedExecutor& executor_;
  const InventoryOptions inventory_;
  std::shared_ptr<prometheus::Registry> own_registry_;  // when none was given
  InventoryMetrics metrics_;
};

}  // namespace mercato::catalog
