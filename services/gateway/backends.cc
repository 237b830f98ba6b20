#include "gateway/backends.h"

#include <grpcpp/client_context.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/client.h"

namespace mercato::gateway {

Backends ConnectBackends(const GatewayConfig& config, Metrics& metrics) {
  Backends b;
  // One minter for every backend: each gets its own token, reused for half a minute.
  auto service_tokens =
      std::make_shared<auth::ServiceTokenMinter>("gateway", *config.identity.service_key);
  const std::pair<const char*, const std::string*> targets[] = {
      {"catalog", &config.catalog_address},
      {"cart", &config.cart_address},
      {"user", &config.user_address},
      {"checkout", &config.checkout_address}};
  for (const auto& [name, target] : targets) {
    BackendChannel backend = ConnectBackend(
        *target, metrics,
        {.backend = name, .policy = config.backends.at(name), .service_tokens = service_tokens});
    b.channels[name] = std::move(backend.channel);
    b.guards[name] = std::move(backend.guard);
  }
  b.catalog = catalog::v1::CatalogService::NewStub(b.channels["catalog"]);
  b.cart = cart::v1::CartService::NewStub(b.channels["cart"]);
  b.user = user::v1::UserService::NewStub(b.channels["user"]);
  b.checkout = checkout::v1::CheckoutService::NewStub(b.channels["checkout"]);
  return b;
}

std::map<std::string, std::string> CheckBackends(const Backends& backends,
                                                 std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> result;
  for (const auto& [name, channel] : backends.channels) {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&ctx, request, &response);
    if (!status.ok()) {
      result[name] = "UNAVAILABLE";
    } else {
      result[name] = response.status() == grpc::health::v1::HealthCheckResponse::SERVING
                         ? "SERVING"
                         : "NOT_SERVING";
    }
  }
  return result;
}

}  // namespace mercato::gateway
