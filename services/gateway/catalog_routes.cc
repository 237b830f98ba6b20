// Shopper-facing catalog routes: listing, search, product detail, categories. Their answers
// do not depend on the caller: ETag / If-None-Match (304) always, and the gateway's response
// cache (response_cache.h) when MERCATO_GATEWAY_CACHE_MAX_BYTES is not 0.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/etag.h"
#include "gateway/json_codec.h"
#include "gateway/response_cache.h"
#include "gateway/routes.h"
#include "rpc/call.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato::gateway {
namespace {

absl::Status BadParameter(absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_parameter", message);
}

// Validates the query parameters into an RPC request; a bad one is a 400.
absl::StatusOr<catalog::v1::ListProductsRequest> ParseListQuery(const HttpRequest& request) {
  catalog::v1::ListProductsRequest rpc;
  if (auto q = request.Query("q")) rpc.set_query(*q);
  if (auto category = request.Query("category")) rpc.set_category(*category);
  if (auto token = request.Query("page_token")) rpc.set_page_token(*token);
  if (auto size = request.Query("page_size"); size && !size->empty()) {
    int page_size = 0;
    if (!absl::SimpleAtoi(*size, &page_size) || page_size < 1 || page_size > kMaxPageSize) {
      return BadParameter(
          absl::StrCat("page_size must be an integer between 1 and ", kMaxPageSize));
    }
    rpc.set_page_size(page_size);
  }
  return rpc;
}

using CatalogAsync = catalog::v1::CatalogService::StubInterface::async_interface;

// Every catalog read says so: a client or intermediary may keep the answer but must ask again
// (If-None-Match) before reusing it, since only the gateway knows when the catalog changed.
constexpr char kCatalogCacheControl[] = "public, no-cache";

// One public catalog read on its way: what answering it from the cache, and storing its
// answer there, needs of the request.
struct CachedRead {
  CatalogCache* cache = nullptr;  // null: the response cache is off
  std::string key;
  std::string if_none_match;
  Respond respond;
};

CachedRead StartRead(CatalogCache* cache, std::string key, const HttpRequest& request,
                     Respond respond) {
  return {.cache = cache,
          .key = std::move(key),
          .if_none_match = std::string(request.Header(http::field::if_none_match)),
          .respond = std::move(respond)};
}

// 200 with the body, or 304 without it when the client already has this ETag.
HttpResponse CatalogAnswer(const CachedRead& read, const std::string& body, const std::string& etag,
                           const char* cache_status) {
  HttpResponse response;
  if (!read.if_none_match.empty() && IfNoneMatchMatches(read.if_none_match, etag)) {
    response.status = 304;
    response.content_type.clear();
  } else {
    response.body = body;
  }
  response.Header("ETag", etag).Header("Cache-Control", kCatalogCacheControl);
  if (read.cache) response.Header("X-Cache", cache_status);
  return response;
}

// Answers from the cache when it holds an entry built at the catalog's current, recently
// confirmed version and the client did not ask for revalidation. True when it answered.
bool AnswerFromCache(CachedRead& read, const HttpRequest& request) {
  if (!read.cache || RequestsRevalidation(request)) return false;
  auto version = read.cache->version.Fresh(CatalogVersionTracker::Clock::now());
  if (!version) return false;
  auto entry = read.cache->entries.Find(read.key, *version);
  if (!entry) return false;
  read.respond(CatalogAnswer(read, entry->body, entry->etag, "HIT"));
  return true;
}

// Asks the catalog (`method` with `rpc`), renders the answer with `render` (reply -> Json),
// stores it in the cache tagged with the reply's catalog_version, and answers.
template <typename Request, typename Response, typename Render>
void ReadThrough(Backends& backends, const GatewayConfig& config, CachedRead read,
                 AsyncUnaryMethod<CatalogAsync, Request, Response> method, Request rpc,
                 Render render, bool revalidation) {
  CallUnaryAsync<CatalogAsync, Request, Response>(
      backends.catalog->async(), method, std::move(rpc), config.rpc_timeout,
      [read = std::move(read), render = std::move(render),
       revalidation](absl::StatusOr<Response> reply) mutable {
        if (!reply.ok()) return read.respond(ErrorResponse(reply.status()));
        std::string body = JsonResponse(200, render(*reply)).body;
        std::string etag = BodyEtag(body);
        HttpResponse response = CatalogAnswer(read, body, etag, revalidation ? "BYPASS" : "MISS");
        if (read.cache) {
          read.cache->entries.Store(read.key, {.body = std::move(body),
                                               .etag = std::move(etag),
                                               .version = reply->catalog_version()});
        }
        read.respond(std::move(response));
      });
}

// From the cache when it can, else through it.
template <typename Request, typename Response, typename Render>
void Read(Backends& backends, const GatewayConfig& config, CatalogCache* cache, std::string key,
          const HttpRequest& request, Respond respond,
          AsyncUnaryMethod<CatalogAsync, Request, Response> method, Request rpc, Render render) {
  CachedRead read = StartRead(cache, std::move(key), request, std::move(respond));
  if (AnswerFromCache(read, request)) return;
  ReadThrough(backends, config, std::move(read), method, std::move(rpc), std::move(render),
              RequestsRevalidation(request));
}

void ListProducts(Backends& backends, const GatewayConfig& config, CatalogCache* cache,
                  const HttpRequest& request, Respond respond) {
  auto rpc = ParseListQuery(request);
  if (!rpc.ok()) return respond(ErrorResponse(rpc.status()));
  std::string key = ListProductsCacheKey(*rpc);
  Read(backends, config, cache, std::move(key), request, std::move(respond),
       &CatalogAsync::ListProducts, *std::move(rpc), &ProductsPageText);
}

void GetProduct(Backends& backends, const GatewayConfig& config, CatalogCache* cache,
                const HttpRequest& request, Respond respond) {
  catalog::v1::GetProductRequest rpc;
  rpc.set_id(request.Param("id"));
  std::string key = ProductCacheKey(rpc.id());
  Read(backends, config, cache, std::move(key), request, std::move(respond),
       &CatalogAsync::GetProduct, std::move(rpc),
       [](const catalog::v1::Product& product) { return ProductText(product); });
}

void ListCategories(Backends& backends, const GatewayConfig& config, CatalogCache* cache,
                    const HttpRequest& request, Respond respond) {
  Read(backends, config, cache, CategoriesCacheKey(), request, std::move(respond),
       &CatalogAsync::ListCategories, catalog::v1::ListCategoriesRequest(), &CategoriesText);
}

}  // namespace

std::unique_ptr<CatalogCache> MakeCatalogCache(Backends& backends, const GatewayConfig& config,
                                               prometheus::Registry& registry) {
  if (config.cache_max_bytes == 0) return nullptr;
  auto* stub =
      backends.catalog_version != nullptr ? backends.catalog_version.get() : backends.catalog.get();
  return std::make_unique<CatalogCache>(
      config.cache_max_bytes, config.cache_poll_interval,
      [stub]() -> absl::StatusOr<int64_t> {
        auto ctx = NewClientContext(kCatalogVersionFreshFor);
        catalog::v1::CatalogVersion version;
        grpc::Status s =
            stub->GetCatalogVersion(ctx.get(), catalog::v1::GetCatalogVersionRequest(), &version);
        if (!s.ok()) return FromGrpcStatus(s);
        return version.version();
      },
      registry);
}

void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config,
                           CatalogCache* cache) {
  using Fn = void (*)(Backends&, const GatewayConfig&, CatalogCache*, const HttpRequest&, Respond);
  auto add = [&](const char* pattern, Fn fn) {
    router.Add(http::verb::get, pattern,
               [&backends, &config, cache, fn](const HttpRequest& r, Respond done) {
                 fn(backends, config, cache, r, std::move(done));
               },
               {.auth = AuthPolicy::kNone});
  };
  add("/api/v1/products", &ListProducts);
  add("/api/v1/products/{id}", &GetProduct);
  add("/api/v1/categories", &ListCategories);
}

}  // namespace mercato::gateway
