// Cart routes (issue #3).
#include "gateway/routes.h"

namespace mercato::gateway {

void RegisterCartRoutes(Router& router, Backends& backends, const GatewayConfig& config) {}

void MergeGuestCartAfterSignIn(Backends& backends, const GatewayConfig& config,
                               const HttpRequest& request, const std::string& user_id,
                               const std::string& role, HttpResponse& response) {}

}  // namespace mercato::gateway
