// The cart service: shopping carts in Redis, priced from the catalog on every read.
#include <spdlog/spdlog.h>

#include "cart/cart_service.h"
#include "cart/config.h"
#include "cart/redis_cart_store.h"
#include "common/logging.h"
#include "common/signals.h"
#include "redis/redis_client.h"
#include "rpc/client.h"
#include "rpc/server.h"

int main() {
  using namespace mercato;
  BlockTerminationSignals();
  EnvReader env;
  auto config = cart::LoadCartConfig(env);
  if (!config.ok()) ExitWithConfigError("cart", config.status());
  InitLogging("cart", config->server.log_level);

  // Redis being down is not fatal: the cart answers UNAVAILABLE until it is back.
  RedisClient redis(config->redis);
  if (absl::Status s = redis.Ping(); !s.ok()) {
    spdlog::warn("Redis is not reachable yet ({}); cart calls fail until it is", s);
  }
  cart::RedisCartStore store(redis);

  Metrics metrics("cart");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->server.admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  auto catalog =
      catalog::v1::CatalogService::NewStub(CreateChannel(config->catalog_address, metrics));
  BoundedExecutor executor("cart-worker", config->server.worker_threads,
                           config->server.max_in_flight);
  cart::CartService service(store, *catalog, executor,
                            {.catalog_timeout = config->server.rpc_timeout,
                             .empty_cart_currency = config->empty_cart_currency});
  GrpcServer server({.service_name = "cart",
                     .bind_address = config->bind_address,
                     .port = config->server.grpc_port,
                     .shutdown_grace = config->server.shutdown_grace},
                    metrics);
  server.AddService(&service);
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  spdlog::info("cart listening on {}:{}, Redis {}:{} db {}, catalog {}", config->bind_address,
               server.port(), config->redis.endpoint.host, config->redis.endpoint.port,
               config->redis.endpoint.db, config->catalog_address);
  const int signal_number = WaitForTerminationSignal();
  spdlog::info("received signal {}, shutting down", signal_number);
  server.Shutdown();
  executor.Shutdown();
  return 0;
}
