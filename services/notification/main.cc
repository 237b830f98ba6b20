// The notification service: consumes the order events (group "notification") and queues one
// email per event that calls for one, in its own PostgreSQL database, exactly once per event;
// a sender loop hands the queued emails to an SMTP server. Its gRPC server has the health
// service only; /metrics on the admin port.
#include <spdlog/spdlog.h>

#include "db/migrations.h"
#include "events/consumer.h"
#include "notification/config.h"
#include "notification/email_sender.h"
#include "notification/notification_metrics.h"
#include "notification/notification_service.h"
#include "notification/postgres_notification_store.h"
#include "notification/smtp_transport.h"
#include "rpc/client.h"
#include "rpc/service_host.h"

int main() {
  using namespace mercato;
  using namespace std::chrono_literals;
  auto config = LoadConfigOrExit("notification", notification::LoadNotificationConfig);
  ServiceHost host("notification", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                notification::Migrations()),
                   "database");
  notification::PostgresNotificationStore store(*pool);
  notification::NotificationMetrics metrics(host.metrics().registry());
  auto user =
      user::v1::UserService::NewStub(ConnectBackend(config.user_address, host.metrics(),
                                                    {.backend = "user",
                                                     .policy = config.backends.at("user"),
                                                     .service_tokens = host.service_tokens()})
                                         .channel);
  notification::UserContacts contacts(*user, config.server.rpc_timeout);
  notification::NotificationService service(
      store, contacts, metrics, {.from = config.smtp.from, .shop_url = config.shop_url});
  notification::CurlSmtpTransport smtp(config.smtp);
  notification::EmailSender sender(store, smtp, metrics,
                                   {.from = config.smtp.from,
                                    .interval = config.send_interval,
                                    .abandoned_after = config.smtp.timeout + 2s,
                                    .retention = config.retention});
  auto consumer =
      host.Require(events::EventConsumer::Create(
                       notification::NotificationConsumerOptions(config.consumer), *pool,
                       [&](const events::v1::Envelope& event, pqxx::work& tx) {
                         return service.Handle(event, tx);
                       },
                       host.metrics().registry()),
                   "the order events consumer");
  sender.Start();
  consumer->Start();
  // The SMTP URL may carry a login (smtp://user:password@host): only its host and port.
  spdlog::info("notification: user {}, smtp server {}", config.user_address,
               config.smtp.url.substr(config.smtp.url.rfind('@') + 1));
  return host.Serve({}, [&] {
    consumer->Stop();
    sender.Stop();
  });
}
