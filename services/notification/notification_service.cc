#include "notification/notification_service.h"

#include <spdlog/spdlog.h>

#include "events/contracts.h"
#include "notification/email_templates.h"
#include "notification/mime_message.h"
#include "rpc/call.h"

namespace mercato::notification {
namespace {

// name@domain, nothing that could end the SMTP command or the header it goes into.
bool IsPlainAddress(const std::string& email) {
  const size_t at = email.find('@');
  if (at == 0 || at == std::string::npos || at + 1 == email.size()) return false;
  for (unsigned char c : email) {
    if (c <= ' ' || c == '<' || c == '>' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

events::ConsumerOptions NotificationConsumerOptions(events::ConsumerOptions base) {
  base.group = kConsumerGroup;
  base.topics = {events::kOrdersTopic};
  return base;
}

absl::StatusOr<user::v1::Contact> UserContacts::GetContact(const std::string& user_id) {
  user::v1::GetContactRequest request;
  request.set_user_id(user_id);
  return CallUnary(user_, &user::v1::UserService::StubInterface::GetContact, request, timeout_);
}

NotificationService::NotificationService(NotificationStore& store, ContactDirectory& contacts,
                                         NotificationMetrics& metrics, NotificationOptions options)
    : store_(store), contacts_(contacts), metrics_(metrics), options_(std::move(options)) {}

absl::Status NotificationService::Handle(const events::v1::Envelope& event, pqxx::work& tx) {
  std::optional<OrderNotice> notice = NoticeOf(event);
  if (!notice) return absl::OkStatus();
  auto contact = contacts_.GetContact(notice->user_id);
  if (absl::IsNotFound(contact.status()) || (contact.ok() && !IsPlainAddress(contact->email()))) {
    spdlog::warn("event {} ({}): the user service has no usable address for the user; no email",
                 event.event_id(), notice->kind);
    metrics_.CountEmail(notice->kind, "no_contact");
    return absl::OkStatus();
  }
  if (!contact.ok()) return contact.status();
  notice->values["name"] = contact->name().empty() ? "Mercato shopper" : contact->name();
  auto rendered = RenderEmail(*notice, options_.shop_url);
  if (!rendered.ok()) return rendered.status();
  const std::string message_id = MessageIdFor(event.event_id(), options_.from);
  std::string message = BuildMessage({.from = options_.from,
                                      .to = contact->email(),
                                      .subject = rendered->subject,
                                      .message_id = message_id,
                                      .date = absl::Now()},
                                     *rendered);
  auto queued = store_.Enqueue(tx, {.event_id = event.event_id(),
                                    .kind = notice->kind,
                                    .order_id = notice->order_id,
                                    .recipient = contact->email(),
                                    .message = std::move(message)});
  if (!queued.ok()) return queued.status();
  if (*queued) metrics_.CountEmail(notice->kind, "queued");
  return absl::OkStatus();
}

}  // namespace mercato::notification
