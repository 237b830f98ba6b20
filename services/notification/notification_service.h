// The notification service's work on each order event (mercato.orders.v1, consumer group
// "notification"): look up the shopper's email address with the user service, render the
// email of the event and queue it, keyed by the event id, in the consumer's transaction (so
// with the inbox row: exactly once per event). The EmailSender sends it.
//
//   UserContacts contacts(*user_stub, config.server.rpc_timeout);
//   NotificationService service(store, contacts, metrics, {.from = ..., .shop_url = ...});
//   auto consumer = events::EventConsumer::Create(
//       NotificationConsumerOptions(config.consumer), *pool,
//       [&](const auto& event, pqxx::work& tx) { return service.Handle(event, tx); }, registry);
//
// OrderPaid, OrderShipped, OrderDelivered, OrderCancelled and OrderRefunded call for an email;
// every other event is skipped. A user the user service does not know gets none (counted
// no_contact); the user service unavailable is "try later" for the consumer.
#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "events/consumer.h"
#include "mercato/events/v1/events.pb.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "notification/notification_metrics.h"
#include "notification/notification_store.h"

namespace mercato::notification {

inline constexpr char kConsumerGroup[] = "notification";

// `base` (config.consumer) with the group and topic of the order events.
events::ConsumerOptions NotificationConsumerOptions(events::ConsumerOptions base);

// Where to write to a shopper.
class ContactDirectory {
 public:
  virtual ~ContactDirectory() = default;
  // NOT_FOUND for an unknown user; UNAVAILABLE and the like when the directory is down.
  virtual absl::StatusOr<user::v1::Contact> GetContact(const std::string& user_id) = 0;
};

// The user service's GetContact, with this service's token (the channel adds it).
class UserContacts : public ContactDirectory {
 public:
  UserContacts(user::v1::UserService::StubInterface& user, std::chrono::milliseconds timeout)
      : user_(user), timeout_(timeout) {}
  absl::StatusOr<user::v1::Contact> GetContact(const std::string& user_id) override;

 private:
  user::v1::UserService::StubInterface& user_;
  const std::chrono::milliseconds timeout_;
};

struct NotificationOptions {
  std::string from = "orders@mercato.local";
  std::string shop_url = "http://127.0.0.1:8080";
};

class NotificationService {
 public:
  NotificationService(NotificationStore& store, ContactDirectory& contacts,
                      NotificationMetrics& metrics, NotificationOptions options);

  // The consumer's handler (events::EventHandler).
  absl::Status Handle(const events::v1::Envelope& event, pqxx::work& tx);

 private:
  NotificationStore& store_;
  ContactDirectory& contacts_;
  NotificationMetrics& metrics_;
  const NotificationOptions options_;
};

}  // namespace mercato::notification
