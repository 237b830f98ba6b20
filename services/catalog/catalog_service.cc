#include "catalog/catalog_service.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "rpc/handler.h"
#include "catalog/page_token.h"

namespace mercato::catalog {

absl::StatusOr<ProductQuery> CatalogService::ParseListRequest(
    const v1::ListProductsRequest& request) const {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 1 and ", kMaxPageSize));
  }
  if (request.query().size() > kMaxQueryLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("query must be at most ", kMaxQueryLength, " characters"));
  }
  ProductQuery query;
  query.category = request.category();
  query.text = request.query();
  query.limit = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (!request.page_token().empty()) {
    auto cursor = DecodePageToken(request.page_token(), query.category, query.text);
    if (!cursor.ok()) return cursor.status();
    query.after = *std::move(cursor);
  }
  return query;
}

absl::Status CatalogService::DoListProducts(const v1::ListProductsRequest& request,
                                            v1::ListProductsResponse* response) {
  auto query = ParseListRequest(request);
  if (!query.ok()) return query.status();
  absl::StatusOr<ProductPage> page =
      query->text.empty() ? cache_.List(*query) : store_.SearchProducts(*query);
  if (!page.ok()) return page.status();
  for (auto& p : page->products) *response->add_products() = std::move(p);
  if (page->has_more && page->last) {
    response->set_next_page_token(EncodePageToken(*page->last, query->category, query->text));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Product>> CatalogService::LoadMissing(
    const std::vector<std::string>& ids) {
  auto loaded = store_.LoadProducts(ids);
  if (!loaded.ok()) return loaded.status();
  cache_.Apply(*loaded, {});
  std::vector<v1::Product> products;
  for (auto& p : *loaded) products.push_back(std::move(p.product));
  return products;
}

absl::Status CatalogService::DoGetProduct(const v1::GetProductRequest& request,
                                          v1::Product* response) {
  if (auto cached = cache_.Get(request.id())) {
    *response = *std::move(cached);
    return absl::OkStatus();
  }
  auto loaded = LoadMissing({request.id()});
  if (!loaded.ok()) return loaded.status();
  if (loaded->empty()) {
    return absl::NotFoundError(absl::StrCat("no product with id '", request.id(), "'"));
  }
  *response = std::move(loaded->front());
  return absl::OkStatus();
}

absl::Status CatalogService::DoBatchGetProducts(const v1::BatchGetProductsRequest& request,
                                                v1::BatchGetProductsResponse* response) {
  if (request.ids_size() > kMaxBatchIds) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxBatchIds, " ids"));
  }
  std::vector<std::string> ids(request.ids().begin(), request.ids().end());
  std::unordered_map<std::string, v1::Product> by_id;
  for (auto& p : cache_.GetMany(ids)) by_id.emplace(p.id(), std::move(p));
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!by_id.count(id)) missing.push_back(id);
  }
  if (!missing.empty()) {
    auto loaded = LoadMissing(missing);
    if (!loaded.ok()) return loaded.status();
    for (auto& p : *loaded) by_id.emplace(p.id(), std::move(p));
  }
  // Answer in the order asked for; ids that do not exist are listed as missing.
  for (const auto& id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      response->add_missing_ids(id);
    } else {
      *response->add_products() = it->second;
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogService::DoListCategories(v1::ListCategoriesResponse* response) {
  for (auto& c : cache_.Categories()) *response->add_categories() = std::move(c);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* CatalogService::ListProducts(grpc::CallbackServerContext* ctx,
                                                       const v1::ListProductsRequest* request,
                                                       v1::ListProductsResponse* response) {
  if (request->query().empty()) {
    return RunInline(ctx, [=, this] { return DoListProducts(*request, response); });
  }
  return RunBlocking(ctx, executor_, [=, this] { return DoListProducts(*request, response); });
}

grpc::ServerUnaryReactor* CatalogService::GetProduct(grpc::CallbackServerContext* ctx,
                                                     const v1::GetProductRequest* request,
                                                     v1::Product* response) {
  if (auto cached = cache_.Get(request->id())) {
    return RunInline(ctx, [&] {
      *response = *std::move(cached);
      return absl::OkStatus();
    });
  }
  return RunBlocking(ctx, executor_, [=, this] { return DoGetProduct(*request, response); });
}

grpc::ServerUnaryReactor* CatalogService::BatchGetProducts(
    grpc::CallbackServerContext* ctx, const v1::BatchGetProductsRequest* request,
    v1::BatchGetProductsResponse* response) {
  return RunBlocking(ctx, executor_,
                     [=, this] { return DoBatchGetProducts(*request, response); });
}

grpc::ServerUnaryReactor* CatalogService::ListCategories(grpc::CallbackServerContext* ctx,
                                                         const v1::ListCategoriesRequest*,
                                                         v1::ListCategoriesResponse* response) {
  return RunInline(ctx, [=, this] { return DoListCategories(response); });
}

}  // namespace mercato::catalog
