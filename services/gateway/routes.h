// Route registration, one function per area of the API. Each lives in its own
// <area>_routes.cc so that the handlers of one area are found in one file.
#pragma once

#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/router.h"

namespace mercato::gateway {

// GET /api/v1/products, /api/v1/products/{id}, /api/v1/categories      (catalog_routes.cc)
void RegisterCatalogRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// /api/v1/users, /api/v1/sessions*, /api/v1/me*                          (account_routes.cc)
void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// /api/v1/cart*                                                          (cart_routes.cc)
void RegisterCartRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// After a successful sign-in (account_routes.cc calls it): moves the guest cart named by the
// request's cart cookie into the signed-in user's cart and adds the header that clears the
// cookie to `response`. Best effort: a failure is logged, the sign-in still succeeds.
// (cart_routes.cc)
void MergeGuestCartAfterSignIn(Backends& backends, const GatewayConfig& config,
                               const HttpRequest& request, const std::string& user_id,
                               const std::string& role, HttpResponse& response);
// /api/v1/checkout, /api/v1/orders*                                      (checkout_routes.cc)
void RegisterCheckoutRoutes(Router& router, Backends& backends, const GatewayConfig& config);
// /api/v1/admin/*                                                        (admin_routes.cc)
void RegisterAdminRoutes(Router& router, Backends& backends, const GatewayConfig& config);

}  // namespace mercato::gateway
