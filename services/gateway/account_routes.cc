// Account routes: registration, sessions, profile and addresses (issue #3).
#include "gateway/routes.h"

namespace mercato::gateway {

void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config) {}

}  // namespace mercato::gateway
