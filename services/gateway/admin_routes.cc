// Admin routes for products and stock (issue #4).
#include "gateway/routes.h"

namespace mercato::gateway {

void RegisterAdminRoutes(Router& router, Backends& backends, const GatewayConfig& config) {}

}  // namespace mercato::gateway
