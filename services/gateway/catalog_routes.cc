// Shopper-facing catalog routes: listing, search, product detail, categories.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/json_codec.h"
#include "gateway/routes.h"

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

void ListProducts(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                  Respond respond) {
  auto rpc = ParseListQuery(request);
  if (!rpc.ok()) return respond(ErrorResponse(rpc.status()));
  CallBackend(
      backends.catalog->async(), &CatalogAsync::ListProducts, *std::move(rpc), config.rpc_timeout,
      [](const auto& reply) {
        if (!reply.ok()) return ErrorResponse(reply.status());
        Json body = Json::object();
        AppendProductsJson(reply->products(), body["products"] = Json::array());
        if (!reply->next_page_token().empty()) body["next_page_token"] = reply->next_page_token();
        return JsonResponse(200, body);
      },
      std::move(respond));
}

void GetProduct(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                Respond respond) {
  catalog::v1::GetProductRequest rpc;
  rpc.set_id(request.Param("id"));
  CallBackend(
      backends.catalog->async(), &CatalogAsync::GetProduct, std::move(rpc), config.rpc_timeout,
      [](const auto& product) {
        return product.ok() ? JsonResponse(200, ProductJson(*product))
                            : ErrorResponse(product.status());
      },
      std::move(respond));
}

void ListCategories(Backends& backends, const GatewayConfig& config, const HttpRequest&,
                    Respond respond) {
  CallBackend(
      backends.catalog->async(), &CatalogAsync::ListCategories,
      catalog::v1::ListCategoriesRequest(), config.rpc_timeout,
      [](const auto& reply) {
        if (!reply.ok()) return ErrorResponse(reply.status());
        Json categories = Json::array();
        for (const auto& c : reply->categories()) categories.push_back(CategoryJson(c));
        return JsonResponse(200, {{"categories", std::move(categories)}});
      },
      std::move(respond));
}

}  // namespace

void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  using Fn = void (*)(Backends&, const GatewayConfig&, const HttpRequest&, Respond);
  auto add = [&](const char* pattern, Fn fn) {
    router.Add(http::verb::get, pattern,
               [&backends, &config, fn](const HttpRequest& r, Respond done) {
                 fn(backends, config, r, std::move(done));
               },
               {.auth = AuthPolicy::kNone});
  };
  add("/api/v1/products", &ListProducts);
  add("/api/v1/products/{id}", &GetProduct);
  add("/api/v1/categories", &ListCategories);
}

}  // namespace mercato::gateway
