#include "catalog/catalog_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "catalog/page_token.h"
#include "commerce/money.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/handler.h"

namespace mercato::catalog {
namespace {

absl::Status InvalidField(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

// Characters of a UTF-8 string (proto3 strings are valid UTF-8), as PostgreSQL's length().
size_t Utf8Length(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return absl::ascii_isspace(c); });
}

bool IsCurrencyCode(const std::string& code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Empty, a path on this site ("/images/..."), or an http(s) URL; no spaces or control
// characters anywhere.
bool IsAcceptableImageUrl(const std::string& url) {
  if (url.empty()) return true;
  if (url.size() > kMaxImageUrlLength) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F) return false;
  }
  if (url.rfind("https://", 0) == 0 && url.size() > 8) return true;
  if (url.rfind("http://", 0) == 0 && url.size() > 7) return true;
  return url[0] == '/' && (url.size() == 1 || url[1] != '/');
}

absl::StatusOr<ProductFields> FieldsFromMask(const google::protobuf::FieldMask& mask) {
  if (mask.paths_size() == 0) return ProductFields::All();
  ProductFields fields;
  for (const auto& path : mask.paths()) {
    if (path == "name") {
      fields.name = true;
    } else if (path == "description") {
      fields.description = true;
    } else if (path == "price") {
      fields.price = true;
    } else if (path == "categories") {
      fields.categories = true;
    } else if (path == "image_url") {
      fields.image_url = true;
    } else if (path == "stock") {
      fields.stock = true;
    } else {
      return InvalidField("invalid_update_mask",
                          absl::StrCat("update_mask path '", path,
                                       "' is not one of name, description, price, categories, "
                                       "image_url, stock"));
    }
  }
  return fields;
}

void ReleasePageBytes(void* holder) { delete static_cast<ListPageCache::Bytes*>(holder); }

// `out` becomes a buffer over the page's bytes, without copying them: the slice keeps the
// bytes alive until gRPC has sent them.
void PageBytesToBuffer(ListPageCache::Bytes bytes, grpc::ByteBuffer* out) {
  if (bytes->size() <= GRPC_SLICE_INLINED_SIZE) {
    grpc::Slice slice(bytes->data(), bytes->size());  // small: copied into the slice itself
    grpc::ByteBuffer buffer(&slice, 1);
    out->Swap(&buffer);
    return;
  }
  auto* holder = new ListPageCache::Bytes(std::move(bytes));
  grpc::Slice slice(const_cast<char*>((*holder)->data()), (*holder)->size(), &ReleasePageBytes,
                    holder);
  grpc::ByteBuffer buffer(&slice, 1);
  out->Swap(&buffer);
}

absl::Status ValidateStock(int64_t stock) {
  if (stock < 0 || stock > kMaxStock) {
    return InvalidField("invalid_stock", absl::StrCat("stock must be between 0 and ", kMaxStock));
  }
  return absl::OkStatus();
}

}  // namespace

CatalogService::CatalogService(CatalogStore& store, ProductCache& cache, CacheRefresher& refresher,
                               BoundedExecutor& executor, InventoryOptions inventory,
                               prometheus::Registry* metrics_registry)
    : store_(store),
      cache_(cache),
      refresher_(refresher),
      executor_(executor),
      own_registry_(metrics_registry ? nullptr : std::make_shared<prometheus::Registry>()),
      inventory_(store, refresher, inventory,
                 metrics_registry ? *metrics_registry : *own_registry_) {}

// ---- inventory: InventoryService's ----

absl::Status CatalogService::DoReserveStock(const v1::ReserveStockRequest& request,
                                            v1::Reservation* response) {
  return inventory_.DoReserveStock(request, response);
}

absl::Status CatalogService::DoCommitReservation(const v1::CommitReservationRequest& request,
                                                 v1::Reservation* response) {
  return inventory_.DoCommitReservation(request, response);
}

absl::Status CatalogService::DoReleaseReservation(const v1::ReleaseReservationRequest& request,
                                                  v1::Reservation* response) {
  return inventory_.DoReleaseReservation(request, response);
}

absl::Status CatalogService::DoReturnStock(const v1::ReturnStockRequest& request,
                                           v1::Reservation* response) {
  return inventory_.DoReturnStock(request, response);
}

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
  return ListInto(request, response, nullptr);
}

absl::Status CatalogService::ListInto(const v1::ListProductsRequest& request,
                                      v1::ListProductsResponse* response, uint64_t* generation) {
  auto query = ParseListRequest(request);
  if (!query.ok()) return query.status();
  absl::StatusOr<ProductPage> page;
  if (query->text.empty()) {
    ReadModelStamp stamp;  // read with the page: the very content it came from
    page = cache_.List(*query, &stamp);
    response->set_catalog_version(stamp.version);
    if (generation != nullptr) *generation = stamp.generation;
  } else {
    // Read first: the page from PostgreSQL is at least this new.
    response->set_catalog_version(cache_.version());
    page = store_.SearchProducts(*query);
  }
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
  const int64_t version = cache_.version();  // read first: the answer is at least this new
  if (auto cached = cache_.Get(request.id())) {
    *response = *std::move(cached);
    response->set_catalog_version(version);
    return absl::OkStatus();
  }
  auto loaded = LoadMissing({request.id()});
  if (!loaded.ok()) return loaded.status();
  if (loaded->empty()) {
    return absl::NotFoundError(absl::StrCat("no product with id '", request.id(), "'"));
  }
  *response = std::move(loaded->front());
  response->set_catalog_version(version);
  return absl::OkStatus();
}

absl::Status CatalogService::DoBatchGetProducts(const v1::BatchGetProductsRequest& request,
                                                v1::BatchGetProductsResponse* response) {
  if (request.ids_size() > kMaxBatchGetProductsIds) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxBatchGetProductsIds, " ids"));
  }
  std::vector<std::string> ids(request.ids().begin(), request.ids().end());
  // Shared with the cache, not copied: each product is copied once, into the response.
  std::unordered_map<std::string, ProductCache::ProductPtr> by_id;
  for (auto& p : cache_.GetMany(ids)) by_id.emplace(p->id(), std::move(p));
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!by_id.count(id)) missing.push_back(id);
  }
  if (!missing.empty()) {
    auto loaded = LoadMissing(missing);
    if (!loaded.ok()) return loaded.status();
    for (auto& p : *loaded) {
      auto product = std::make_shared<const v1::Product>(std::move(p));
      by_id.emplace(product->id(), std::move(product));
    }
  }
  // Answer in the order asked for; ids that do not exist are listed as missing.
  for (const auto& id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      response->add_missing_ids(id);
    } else {
      *response->add_products() = *it->second;
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogService::DoListCategories(v1::ListCategoriesResponse* response) {
  response->set_catalog_version(cache_.version());
  for (auto& c : cache_.Categories()) *response->add_categories() = std::move(c);
  return absl::OkStatus();
}

absl::Status CatalogService::DoGetCatalogVersion(v1::CatalogVersion* response) {
  response->set_version(cache_.version());
  return absl::OkStatus();
}

// ---- admin ----

absl::Status CatalogService::CheckCategoriesExist(const v1::Product& product) {
  std::vector<std::string> unknown;
  for (const auto& c : product.categories()) {
    if (!cache_.HasCategory(c)) unknown.push_back(c);
  }
  if (unknown.empty()) return absl::OkStatus();
  // The cache's list is loaded at start-up; the store has the last word.
  auto categories = store_.ListCategories();
  if (!categories.ok()) return categories.status();
  std::set<std::string> known;
  for (const auto& c : *categories) known.insert(c.id());
  for (const auto& c : unknown) {
    if (!known.count(c)) {
      return InvalidField("invalid_categories", absl::StrCat("no category '", c, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogService::ValidateProduct(v1::Product& p, const ProductFields& fields) {
  if (fields.name) {
    const size_t length = Utf8Length(p.name());
    if (length == 0 || length > kMaxProductNameLength || IsBlank(p.name())) {
      return InvalidField("invalid_name",
                          absl::StrCat("name must be 1 to ", kMaxProductNameLength, " characters"));
    }
  }
  if (fields.description && Utf8Length(p.description()) > kMaxProductDescriptionLength) {
    return InvalidField(
        "invalid_description",
        absl::StrCat("description must be at most ", kMaxProductDescriptionLength, " characters"));
  }
  if (fields.price) {
    if (!p.has_price() || !IsCurrencyCode(p.price().currency())) {
      return InvalidField("invalid_price",
                          "price needs an amount in minor units and a currency of three "
                          "upper-case letters (ISO 4217)");
    }
    if (!IsValidUnitPrice(p.price().amount())) {
      return InvalidField("invalid_price", absl::StrCat("price.amount must be between 0 and ",
                                                        kMaxUnitPrice, " minor units"));
    }
  }
  if (fields.categories) {
    // Duplicates are dropped, keeping the first occurrence's place.
    std::set<std::string> seen;
    google::protobuf::RepeatedPtrField<std::string> unique;
    for (const auto& c : p.categories()) {
      if (seen.insert(c).second) *unique.Add() = c;
    }
    p.mutable_categories()->Swap(&unique);
    if (p.categories_size() > kMaxProductCategories) {
      return InvalidField("invalid_categories",
                          absl::StrCat("at most ", kMaxProductCategories, " categories"));
    }
    if (absl::Status s = CheckCategoriesExist(p); !s.ok()) return s;
  }
  if (fields.image_url && !IsAcceptableImageUrl(p.image_url())) {
    return InvalidField("invalid_image_url",
                        absl::StrCat("image_url must be empty, a path starting with '/' or an "
                                     "http(s) URL, without spaces, at most ",
                                     kMaxImageUrlLength, " characters"));
  }
  if (fields.stock) {
    if (absl::Status s = ValidateStock(p.stock()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CatalogService::DoUpsertProduct(const v1::UpsertProductRequest& request,
                                             v1::Product* response) {
  if (absl::Status s = RequireAdmin(); !s.ok()) return s;
  v1::Product product = request.product();
  absl::StatusOr<VersionedProduct> written;
  if (product.id().empty()) {
    // A new product has every field; the mask does not apply.
    if (absl::Status s = ValidateProduct(product, ProductFields::All()); !s.ok()) return s;
    product.set_id(NewUuid());
    written = store_.CreateProduct(product);
  } else {
    auto fields = FieldsFromMask(request.update_mask());
    if (!fields.ok()) return fields.status();
    if (absl::Status s = ValidateProduct(product, *fields); !s.ok()) return s;
    written = store_.UpdateProduct(product, *fields);
  }
  if (!written.ok()) return written.status();
  RefreshAfterWrite(refresher_, {written->product.id()});
  *response = std::move(written->product);
  return absl::OkStatus();
}

absl::Status CatalogService::DoSetStock(const v1::SetStockRequest& request, v1::Product* response) {
  if (absl::Status s = RequireAdmin(); !s.ok()) return s;
  if (absl::Status s = ValidateStock(request.stock()); !s.ok()) return s;
  auto written = store_.SetStock(request.product_id(), request.stock());
  if (!written.ok()) return written.status();
  RefreshAfterWrite(refresher_, {written->product.id()});
  *response = std::move(written->product);
  return absl::OkStatus();
}

// ---- handlers ----

absl::Status CatalogService::ListBrowsePage(const v1::ListProductsRequest& request,
                                            grpc::ByteBuffer* response) {
  // Only a request that succeeded is ever stored, so a hit needs no validation: the same page
  // size, category and token were valid then and decode the same way now.
  const std::string key =
      ListPageCache::Key(request.page_size() == 0 ? kDefaultPageSize : request.page_size(),
                         request.category(), request.page_token());
  if (ListPageCache::Bytes bytes = pages_.Find(key, cache_.generation())) {
    PageBytesToBuffer(std::move(bytes), response);
    return absl::OkStatus();
  }
  v1::ListProductsResponse page;
  uint64_t generation = 0;
  if (absl::Status s = ListInto(request, &page, &generation); !s.ok()) return s;
  auto bytes = std::make_shared<std::string>();
  if (!page.SerializeToString(bytes.get())) return absl::InternalError("serializing the page");
  pages_.Insert(key, generation, bytes);
  PageBytesToBuffer(std::move(bytes), response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* CatalogService::ListProducts(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* response) {
  // Parsed as gRPC parses the typed methods' requests; one that does not parse is refused
  // as gRPC refuses theirs (UNIMPLEMENTED, no message, before authentication).
  v1::ListProductsRequest parsed_request;
  grpc::ByteBuffer buffer(*request_bytes);
  if (!grpc::SerializationTraits<v1::ListProductsRequest>::Deserialize(&buffer, &parsed_request)
           .ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
    return reactor;
  }
  if (parsed_request.query().empty()) {
    return RunInline(ctx, [&] { return ListBrowsePage(parsed_request, response); });
  }
  auto request = std::make_shared<const v1::ListProductsRequest>(std::move(parsed_request));
  return RunBlocking(ctx, executor_, [this, request, response] {
    v1::ListProductsResponse page;
    if (absl::Status s = ListInto(*request, &page, nullptr); !s.ok()) return s;
    bool own_buffer = false;
    grpc::Status serialized =
        grpc::SerializationTraits<v1::ListProductsResponse>::Serialize(page, response, &own_buffer);
    return serialized.ok() ? absl::OkStatus() : absl::InternalError(serialized.error_message());
  });
}

grpc::ServerUnaryReactor* CatalogService::GetProduct(grpc::CallbackServerContext* ctx,
                                                     const v1::GetProductRequest* request,
                                                     v1::Product* response) {
  const int64_t version = cache_.version();  // read first: the answer is at least this new
  if (auto cached = cache_.Get(request->id())) {
    return RunInline(ctx, [&] {
      *response = *std::move(cached);
      response->set_catalog_version(version);
      return absl::OkStatus();
    });
  }
  return RunBlocking(ctx, executor_, [=, this] { return DoGetProduct(*request, response); });
}

grpc::ServerUnaryReactor* CatalogService::BatchGetProducts(
    grpc::CallbackServerContext* ctx, const v1::BatchGetProductsRequest* request,
    v1::BatchGetProductsResponse* response) {
  // The usual case (the cart pricing its lines): every product is in memory, no database.
  if (cache_.HasAll(request->ids())) {
    return RunInline(ctx, [=, this] { return DoBatchGetProducts(*request, response); });
  }
  return RunBlocking(ctx, executor_, [=, this] { return DoBatchGetProducts(*request, response); });
}

grpc::ServerUnaryReactor* CatalogService::ListCategories(grpc::CallbackServerContext* ctx,
                                                         const v1::ListCategoriesRequest*,
                                                         v1::ListCategoriesResponse* response) {
  return RunInline(ctx, [=, this] { return DoListCategories(response); });
}

grpc::ServerUnaryReactor* CatalogService::GetCatalogVersion(grpc::CallbackServerContext* ctx,
                                                            const v1::GetCatalogVersionRequest*,
                                                            v1::CatalogVersion* response) {
  return RunInline(ctx, [=, this] { return DoGetCatalogVersion(response); });
}

grpc::ServerUnaryReactor* CatalogService::ReserveStock(grpc::CallbackServerContext* ctx,
                                                       const v1::ReserveStockRequest* request,
                                                       v1::Reservation* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"checkout"}); !s.ok()) return s;
    return DoReserveStock(*request, response);
  });
}

grpc::ServerUnaryReactor* CatalogService::CommitReservation(
    grpc::CallbackServerContext* ctx, const v1::CommitReservationRequest* request,
    v1::Reservation* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"checkout"}); !s.ok()) return s;
    return DoCommitReservation(*request, response);
  });
}

grpc::ServerUnaryReactor* CatalogService::ReleaseReservation(
    grpc::CallbackServerContext* ctx, const v1::ReleaseReservationRequest* request,
    v1::Reservation* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"checkout"}); !s.ok()) return s;
    return DoReleaseReservation(*request, response);
  });
}

grpc::ServerUnaryReactor* CatalogService::ReturnStock(grpc::CallbackServerContext* ctx,
                                                      const v1::ReturnStockRequest* request,
                                                      v1::Reservation* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"checkout"}); !s.ok()) return s;
    return DoReturnStock(*request, response);
  });
}

grpc::ServerUnaryReactor* CatalogService::UpsertProduct(grpc::CallbackServerContext* ctx,
                                                        const v1::UpsertProductRequest* request,
                                                        v1::Product* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoUpsertProduct(*request, response);
  });
}

grpc::ServerUnaryReactor* CatalogService::SetStock(grpc::CallbackServerContext* ctx,
                                                   const v1::SetStockRequest* request,
                                                   v1::Product* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoSetStock(*request, response);
  });
}

}  // namespace mercato::catalog
