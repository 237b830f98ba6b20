// The checkout service: the order saga (cart -> priced order -> reserved stock -> captured
// payment -> paid order) over gRPC, with the orders in PostgreSQL and a recovery loop that
// finishes every order a crash left behind; after payment, the shopper's cancellations, admin
// refunds and the fulfillment service's stages (order_lifecycle.h). Its order events leave through
// the outbox relay; the payment service's events are recorded against the orders.
#include <spdlog/spdlog.h>

#include "checkout/checkout_metrics.h"
#include "checkout/checkout_service.h"
#include "checkout/config.h"
#include "checkout/order_lifecycle.h"
#include "checkout/order_recovery.h"
#include "checkout/order_saga.h"
#include "checkout/payment_event_recorder.h"
#include "checkout/postgres_checkout_store.h"
#include "db/migrations.h"
#include "events/consumer.h"
#include "events/outbox_relay.h"
#include "rpc/client.h"
#include "rpc/service_host.h"

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("checkout", checkout::LoadCheckoutConfig);
  ServiceHost host("checkout", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                checkout::Migrations()),
                   "database");
  checkout::PostgresCheckoutStore store(*pool);
  checkout::CheckoutMetrics checkout_metrics(host.metrics().registry());
  auto connect = [&](const std::string& target, const std::string& name) {
    return ConnectBackend(target, host.metrics(),
                          {.backend = name,
                           .policy = config.backends.at(name),
                           .service_tokens = host.service_tokens()});
  };
  auto catalog =
      catalog::v1::CatalogService::NewStub(connect(config.catalog_address, "catalog").channel);
  auto cart = cart::v1::CartService::NewStub(connect(config.cart_address, "cart").channel);
  BackendChannel payment_channel = connect(config.payment_address, "payment");
  auto payment = payment::v1::PaymentService::NewStub(payment_channel.channel);
  checkout::OrderSaga saga(
      store, *catalog, *cart, *payment, checkout_metrics,
      {.rpc_timeout = config.server.rpc_timeout,
       .reservation_ttl = config.reservation_ttl,
       .lease = absl::FromChrono(config.lease),
       .payment_grace = absl::FromChrono(config.payment_grace),
       .payment_available = [guard = payment_channel.guard] { return guard->Available(); }});
  checkout::OrderLifecycle lifecycle(
      store, *catalog, *cart, *payment,
      {.rpc_timeout = config.server.rpc_timeout, .lease = absl::FromChrono(config.lease)});
  checkout::CheckoutService service(store, saga, lifecycle, host.executor());
  // First pass at once: whatever a previous process left unfinished (once its leases end).
  checkout::StalledOrderRecovery recovery(store, saga,
                                          {.interval = config.recovery_interval,
                                           .lease = absl::FromChrono(config.lease),
                                           .lifecycle = &lifecycle});
  recovery.Start();
  auto relay =
      host.Require(events::OutboxRelay::Create(*pool, config.events.kafka,
                                               host.metrics().registry(), config.events.relay),
                   "the outbox relay");
  relay->Start();
  auto payment_events = host.Require(
      events::EventConsumer::Create(checkout::PaymentEventConsumerOptions(config.events.consumer),
                                    *pool, checkout::RecordPaymentEvent, host.metrics().registry()),
      "the payment events consumer");
  payment_events->Start();
  spdlog::info("checkout: catalog {}, cart {}, payment {}", config.catalog_address,
               config.cart_address, config.payment_address);
  return host.Serve({&service}, [&] {
    recovery.Stop();
    payment_events->Stop();
    relay->Stop();
  });
}
