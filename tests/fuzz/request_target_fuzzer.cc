// Fuzz target: the request target (path and query) as the gateway parses it (ParseTarget:
// Boost.URL origin-form, percent-decoding, the UTF-8 check), the query lookups route handlers
// make, and route matching over the gateway's route patterns.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/http_request_reader.h"
#include "gateway/router.h"

namespace {

using mercato::gateway::http::verb;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// The gateway's route patterns (services/gateway/*_routes.cc).
const mercato::gateway::Router& Routes() {
  static const mercato::gateway::Router* router = [] {
    auto* r = new mercato::gateway::Router;
    const std::pair<verb, const char*> routes[] = {
        {verb::get, "/healthz"},
        {verb::get, "/readyz"},
        {verb::get, "/readyz/local"},
        {verb::get, "/api/v1/products"},
        {verb::get, "/api/v1/products/{id}"},
        {verb::get, "/api/v1/categories"},
        {verb::post, "/api/v1/users"},
        {verb::post, "/api/v1/sessions"},
        {verb::post, "/api/v1/sessions/refresh"},
        {verb::delete_, "/api/v1/sessions"},
        {verb::get, "/api/v1/me"},
        {verb::patch, "/api/v1/me"},
        {verb::get, "/api/v1/me/addresses"},
        {verb::post, "/api/v1/me/addresses"},
        {verb::get, "/api/v1/me/addresses/{id}"},
        {verb::put, "/api/v1/me/addresses/{id}"},
        {verb::delete_, "/api/v1/me/addresses/{id}"},
        {verb::get, "/api/v1/cart"},
        {verb::delete_, "/api/v1/cart"},
        {verb::post, "/api/v1/cart/items"},
        {verb::patch, "/api/v1/cart/items/{product_id}"},
        {verb::delete_, "/api/v1/cart/items/{product_id}"},
        {verb::post, "/api/v1/checkout"},
        {verb::get, "/api/v1/orders"},
        {verb::get, "/api/v1/orders/{id}"},
        {verb::post, "/api/v1/admin/products"},
        {verb::patch, "/api/v1/admin/products/{id}"},
    };
    for (const auto& [method, pattern] : routes) {
      r->Add(method, pattern,
             [](const mercato::gateway::HttpRequest&) { return mercato::gateway::HttpResponse{}; });
    }
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  mercato::gateway::HttpRequest request;
  if (mercato::gateway::ParseTarget(target, request)) return 0;  // answered 400
  Check(!request.path.empty() && request.path.front() == '/');
  for (const auto& [key, value] : request.query) {
    Check(request.Query(key).has_value());
  }
  (void)request.Query("page_token");
  (void)request.Query("page_size");
  for (verb method : {verb::get, verb::post, verb::delete_}) {
    auto match = Routes().Find(method, request.segments);
    if (match.kind == mercato::gateway::Router::Match::kFound) {
      Check(match.route != nullptr && match.route->method == method);
      Check(mercato::gateway::SplitPath(match.route->pattern).size() == request.segments.size());
    }
  }
  return 0;
}
