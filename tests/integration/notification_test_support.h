// Shared by the notification service's integration tests: a fake user service answering
// GetContact, order events of each kind, and the Message-IDs the sink received.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "events_test_support.h"
#include "mercato/user/v1/user.grpc.pb.h"
#include "support/smtp_sink.h"

namespace mercato::notification {

// Knows every user id but kUnknownUser: <user id>@example.com, named "Ada <Lovelace>" (to see
// the HTML escaping). Counts the calls that carried a service token.
class FakeUserService : public user::v1::UserService::Service {
 public:
  static constexpr char kUnknownUser[] = "unknown-user";

  grpc::Status GetContact(grpc::ServerContext* context, const user::v1::GetContactRequest* request,
                          user::v1::Contact* contact) override {
    if (context->client_metadata().count("x-mercato-service-token") > 0) ++with_token;
    ++calls;
    if (request->user_id() == kUnknownUser) return {grpc::StatusCode::NOT_FOUND, "no such user"};
    contact->set_user_id(request->user_id());
    contact->set_email(request->user_id() + "@example.com");
    contact->set_name("Ada <Lovelace>");
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
  std::atomic<int> with_token{0};
};

inline common::v1::Money Money(int64_t amount, const std::string& currency) {
  common::v1::Money m;
  m.set_amount(amount);
  m.set_currency(currency);
  return m;
}

inline events::v1::Envelope OrderPaidEvent(const std::string& order_id, const std::string& user) {
  events::v1::Envelope event = events::NewEvent("checkout");
  auto* paid = event.mutable_order_paid();
  paid->set_order_id(order_id);
  paid->set_user_id(user);
  paid->set_payment_id(NewUuid());
  *paid->mutable_total() = Money(123456, "EUR");
  return event;
}

// "<event id@mercato.local>" of every message in the sink.
inline std::vector<std::string> MessageIds(const testing::SmtpSink& sink) {
  std::vector<std::string> ids;
  for (const auto& email : sink.Messages()) ids.push_back(email.Header("message-id"));
  return ids;
}

inline std::string MessageIdOf(const std::string& event_id) {
  return "<" + event_id + "@mercato.local>";
}

}  // namespace mercato::notification
