// Cart routes (issue #3).
#include "gateway/routes.h"

namespace mercato::gateway {

void RegisterCartRoutes(Router& router, Backends& backends, const GatewayConfig& config) {}

}  // namespace mercato::gateway
