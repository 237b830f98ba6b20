// The cart service: shopping carts in Redis, priced from the catalog on every read.
#include <prometheus/counter.h>
#include <spdlog/spdlog.h>

#include "cart/cart_service.h"
#include "cart/config.h"
#include "cart/redis_cart_store.h"
#include "redis/redis_client.h"
#include "rpc/client.h"
#include "rpc/service_host.h"

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("cart", cart::LoadCartConfig);
  ServiceHost host("cart", config.server, config.bind_address, config.identity);
  // Redis being down is not fatal: the cart answers UNAVAILABLE until it is back.
  RedisClient redis(config.redis);
  if (absl::Status s = redis.Ping(); !s.ok()) {
    spdlog::warn("Redis is not reachable yet ({}); cart calls fail until it is", s);
  }
  cart::RedisCartStore store(redis);
  auto catalog = catalog::v1::CatalogService::NewStub(
      CreateChannel(config.catalog_address, host.metrics(),
                    {.backend = "catalog",
                     .policy = config.backends.at("catalog"),
                     .service_tokens = host.service_tokens()}));
  // Business metrics: add-to-cart events and carts that got their first line.
  auto& additions = prometheus::BuildCounter()
                        .Name("mercato_cart_additions_total")
                        .Help("Products added to a cart (successful AddItem calls)")
                        .Register(host.metrics().registry())
                        .Add({});
  auto& created = prometheus::BuildCounter()
                      .Name("mercato_carts_created_total")
                      .Help("Carts that got their first line")
                      .Register(host.metrics().registry())
                      .Add({});
  cart::CartService service(store, *catalog, host.executor(),
                            {.catalog_timeout = config.server.rpc_timeout,
                             .empty_cart_currency = config.empty_cart_currency,
                             .on_item_added = [&additions, &created](bool new_cart) {
                               additions.Increment();
                               if (new_cart) created.Increment();
                             }});
  spdlog::info("cart: Redis {}:{} db {}, catalog {}", config.redis.endpoint.host,
               config.redis.endpoint.port, config.redis.endpoint.db, config.catalog_address);
  return host.Serve({&service});
}
