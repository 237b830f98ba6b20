// GET /api/v1/openapi.json: the bytes of the compiled-in spec (openapi.h), not a document
// built here. Cheap and fixed, so it runs on the I/O thread.
#include "gateway/openapi.h"

namespace mercato::gateway {

void RegisterOpenApiRoute(Router& router) {
  Handler serve = [](const HttpRequest&) {
    HttpResponse response;
    response.body = std::string(OpenApiJson());
    response.Header("Cache-Control", "public, max-age=300");
    return response;
  };
  router.Add(http::verb::get, "/api/v1/openapi.json", std::move(serve));
}

}  // namespace mercato::gateway
