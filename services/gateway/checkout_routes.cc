// Checkout and order routes (issue #4).
#include "gateway/routes.h"

namespace mercato::gateway {

void RegisterCheckoutRoutes(Router& router, Backends& backends, const GatewayConfig& config) {}

}  // namespace mercato::gateway
