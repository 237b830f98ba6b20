// Route registration, one function per area of the API. Each lives in its own
// <area>_routes.cc so that the handlers of one area are found in one file.
#pragma once

#include <prometheus/registry.h>

#include <memory>

#include "gateway/auth.h"
#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/response_cache.h"
#include "gateway/router.h"

namespace mercato::gateway {

// GET /api/v1/products, /api/v1/products/{id}, /api/v1/categories      (catalog_routes.cc)
// `cache`: their response cache, null when off (MakeCatalogCache).
void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config,
                           CatalogCache* cache);
// The catalog routes' response cache polling the catalog's version through backends.catalog,
// with its metrics in `registry`; null when config.cache_max_bytes is 0.     (catalog_routes.cc)
std::unique_ptr<CatalogCache> MakeCatalogCache(Backends& backends, const GatewayConfig& config,
                                               prometheus::Registry& registry);
// /api/v1/users, /api/v1/sessions*, /api/v1/me*                          (account_routes.cc)
void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// /api/v1/cart*                                                          (cart_routes.cc)
void RegisterCartRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// After a successful sign-in (account_routes.cc calls it): moves the guest cart named by the
// request's cart cookie into the cart of the user who just signed in (an asynchronous call
// carrying their new access token), then answers with `response` plus the header that clears
// the cookie. Best effort: a failure is logged, the sign-in still succeeds.
// (cart_routes.cc)
void MergeGuestCartAfterSignIn(Backends& backends, const GatewayConfig& config,
                               const HttpRequest& request, const Identity& signed_in,
                               HttpResponse response, Respond respond);
// /api/v1/checkout, /api/v1/orders*                                      (checkout_routes.cc)
void RegisterCheckoutRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// /api/v1/admin/* (products, order refunds)                            (admin_routes.cc)
void RegisterAdminRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// GET /api/v1/openapi.json: RegisterOpenApiRoute in openapi.h              (openapi_routes.cc)

}  // namespace mercato::gateway
