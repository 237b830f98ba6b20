// The payment service: a sandbox card processor behind the CardProcessor interface, with
// idempotent authorizations and a state machine persisted in PostgreSQL, over gRPC. Its
// payment events leave through the outbox relay.
#include <spdlog/spdlog.h>

#include "db/migrations.h"
#include "events/outbox_relay.h"
#include "payment/authorization_sweeper.h"
#include "payment/config.h"
#include "payment/payment_metrics.h"
#include "payment/payment_service.h"
#include "payment/postgres_payment_store.h"
#include "payment/sandbox_card_processor.h"
#include "rpc/service_host.h"

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("payment", payment::LoadPaymentConfig);
  ServiceHost host("payment", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                payment::Migrations()),
                   "database");
  payment::PostgresPaymentStore store(*pool);
  // The sandbox's ledger stands for an external processor's books: connections of its own,
  // so that a payment transaction waiting for the processor never waits for its own pool.
  auto ledger = host.Require(
      PgPool::Create({.conninfo = config.database_url, .size = payment::kSandboxLedgerConnections}),
      "the sandbox processor's ledger");
  payment::SandboxCardProcessor processor(ledger.get());
  payment::PaymentMetrics payment_metrics(host.metrics().registry());
  payment::PaymentService service(
      store, processor, host.executor(), payment_metrics,
      {.fingerprint_key = config.fingerprint_key, .max_amount = config.max_amount});
  payment::AuthorizationSweeper sweeper(service, {.max_age = config.authorization_max_age});
  sweeper.Start();
  auto relay =
      host.Require(events::OutboxRelay::Create(*pool, config.events.kafka,
                                               host.metrics().registry(), config.events.relay),
                   "the outbox relay");
  relay->Start();
  return host.Serve({&service}, [&] {
    sweeper.Stop();
    relay->Stop();
  });
}
