// The fulfillment worker: consumes the order events (OrderPaid creates a shipment,
// OrderCancelled cancels one), runs a simulated carrier that records each shipment's stages
// with checkout (RecordFulfillment) and publishes OrderShipped / OrderDelivered through its
// outbox relay. gRPC serves only the health service; /metrics is on the admin port.
#include <spdlog/spdlog.h>

#include "common/periodic_task.h"
#include "db/migrations.h"
#include "events/consumer.h"
#include "events/outbox_relay.h"
#include "fulfillment/config.h"
#include "fulfillment/fulfillment_metrics.h"
#include "fulfillment/fulfillment_service.h"
#include "fulfillment/order_events.h"
#include "fulfillment/postgres_fulfillment_store.h"
#include "rpc/client.h"
#include "rpc/service_host.h"

namespace {
// Taken during static initialisation, before main: the start of "first event handled after".
const auto kProcessStart = std::chrono::steady_clock::now();
}  // namespace

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("fulfillment", fulfillment::LoadFulfillmentConfig);
  ServiceHost host("fulfillment", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                fulfillment::Migrations()),
                   "database");
  fulfillment::PostgresFulfillmentStore store(*pool);
  fulfillment::FulfillmentMetrics metrics(host.metrics().registry());
  // The consumer first: joining the group is the slow part of a cold start.
  fulfillment::FirstEventTimer first_event(kProcessStart, metrics);
  auto consumer =
      host.Require(events::EventConsumer::Create(
                       fulfillment::OrderEventConsumerOptions(config.events.consumer), *pool,
                       first_event.Wrap(fulfillment::ApplyOrderEvent), host.metrics().registry()),
                   "the order events consumer");
  consumer->Start();
  auto relay =
      host.Require(events::OutboxRelay::Create(*pool, config.events.kafka,
                                               host.metrics().registry(), config.events.relay),
                   "the outbox relay");
  relay->Start();
  auto checkout = checkout::v1::CheckoutService::NewStub(
      ConnectBackend(config.checkout_address, host.metrics(),
                     {.backend = "checkout",
                      .policy = config.backends.at("checkout"),
                      .service_tokens = host.service_tokens()})
          .channel);
  std::unique_ptr<PeriodicTask> carrier_task;
  fulfillment::FulfillmentService carrier(
      store, *checkout, metrics,
      {.ship_delay = config.ship_delay,
       .delivery_delay = config.delivery_delay,
       .carriers = config.carriers,
       .rpc_timeout = config.server.rpc_timeout,
       .stopping = [&carrier_task] { return carrier_task && carrier_task->stopping(); }});
  carrier_task = std::make_unique<PeriodicTask>("carrier", config.poll_interval,
                                                [&] { return carrier.AdvanceDue().status(); });
  carrier_task->Start();
  spdlog::info("fulfillment: checkout {}, carriers {}", config.checkout_address,
               config.carriers.size());
  return host.Serve({}, [&] {
    consumer->Stop();  // finishes the record in hand, commits, leaves the group
    carrier_task->Stop();
    relay->Stop();
  });
}
