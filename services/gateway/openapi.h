// The API contract: docs/openapi.yaml, converted to JSON and compiled in at build time
// (openapi_json.py), served at GET /api/v1/openapi.json.
//
//   auto spec = nlohmann::json::parse(OpenApiJson());
//   spec["paths"]["/api/v1/products"]["get"]["operationId"];  // "listProducts"
#pragma once

#include <string_view>

#include "gateway/router.h"

namespace mercato::gateway {

// The spec as compact JSON (generated: openapi_spec.cc in the build directory).
std::string_view OpenApiJson();

// GET /api/v1/openapi.json: the spec, public, cacheable for 5 minutes.
void RegisterOpenApiRoute(Router& router);

}  // namespace mercato::gateway
