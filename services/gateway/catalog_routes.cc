// Shopper-facing catalog routes: listing, search, product detail, categories.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/json_codec.h"
#include "gateway/routes.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato::gateway {
namespace {

constexpr int kMaxPageSize = 100;

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

void ListProducts(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                  Respond respond) {
  auto rpc = ParseListQuery(request);
  if (!rpc.ok()) return respond(ErrorResponse(rpc.status()));
  using Call = BackendCall<catalog::v1::ListProductsRequest, catalog::v1::ListProductsResponse>;
  CallBackend<catalog::v1::ListProductsRequest, catalog::v1::ListProductsResponse>(
      config.rpc_timeout, [&](Call& call) { call.request = *std::move(rpc); },
      [&](Call& call, auto done) {
        backends.catalog->async()->ListProducts(call.ctx.get(), &call.request, &call.response,
                                                std::move(done));
      },
      [](const absl::Status& status, catalog::v1::ListProductsResponse& reply) {
        if (!status.ok()) return ErrorResponse(status);
        Json body = Json::object();
        AppendProductsJson(reply.products(), body["products"] = Json::array());
        if (!reply.next_page_token().empty()) body["next_page_token"] = reply.next_page_token();
        return JsonResponse(200, body);
      },
      std::move(respond));
}

void GetProduct(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                Respond respond) {
  using Call = BackendCall<catalog::v1::GetProductRequest, catalog::v1::Product>;
  CallBackend<catalog::v1::GetProductRequest, catalog::v1::Product>(
      config.rpc_timeout, [&](Call& call) { call.request.set_id(request.Param("id")); },
      [&](Call& call, auto done) {
        backends.catalog->async()->GetProduct(call.ctx.get(), &call.request, &call.response,
                                              std::move(done));
      },
      [](const absl::Status& status, catalog::v1::Product& product) {
        return status.ok() ? JsonResponse(200, ProductJson(product)) : ErrorResponse(status);
      },
      std::move(respond));
}

void ListCategories(Backends& backends, const GatewayConfig& config, const HttpRequest&,
                    Respond respond) {
  using Call = BackendCall<catalog::v1::ListCategoriesRequest, catalog::v1::ListCategoriesResponse>;
  CallBackend<catalog::v1::ListCategoriesRequest, catalog::v1::ListCategoriesResponse>(
      config.rpc_timeout, [](Call&) {},
      [&](Call& call, auto done) {
        backends.catalog->async()->ListCategories(call.ctx.get(), &call.request,
                                                  &call.response, std::move(done));
      },
      [](const absl::Status& status, catalog::v1::ListCategoriesResponse& reply) {
        if (!status.ok()) return ErrorResponse(status);
        Json categories = Json::array();
        for (const auto& c : reply.categories()) categories.push_back(CategoryJson(c));
        return JsonResponse(200, {{"categories", std::move(categories)}});
      },
      std::move(respond));
}

}  // namespace

void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  router.AddAsync(http::verb::get, "/api/v1/products", [&](const HttpRequest& r, Respond done) {
    ListProducts(backends, config, r, std::move(done));
  });
  router.AddAsync(http::verb::get, "/api/v1/products/{id}",
                  [&](const HttpRequest& r, Respond done) {
                    GetProduct(backends, config, r, std::move(done));
                  });
  router.AddAsync(http::verb::get, "/api/v1/categories", [&](const HttpRequest& r, Respond done) {
    ListCategories(backends, config, r, std::move(done));
  });
}

}  // namespace mercato::gateway
