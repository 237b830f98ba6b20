// Route registration, one function per area of the API. Each lives in its own
// <area>_routes.cc so that the handlers of one area are found in one file.
#pragma once

#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/router.h"

namespace mercato::gateway {

// GET /api/v1/products, /api/v1/products/{id}, /api/v1/categories
void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config);

}  // namespace mercato::gateway
