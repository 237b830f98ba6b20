// The emails of the order events: which events call for one, the values each carries, and
// the subject and the plain-text and HTML bodies rendered from the templates compiled in
// (templates/<kind>.txt and .html, {{placeholder}} filled by Substitute).
//
//   std::optional<OrderNotice> notice = NoticeOf(event);   // nullopt: no email for it
//   notice->values["name"] = contact.name();
//   absl::StatusOr<RenderedEmail> email = RenderEmail(*notice, "https://shop.example");
//
// Values go into the HTML part HTML-escaped, into the text part as they are. Nothing of a
// card or a token is ever among them (the order events carry none).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::notification {

// The kinds of email: "order_paid", "order_shipped", "order_delivered", "order_cancelled",
// "order_refunded" (the template files' names).
struct OrderNotice {
  std::string kind;
  std::string order_id;
  std::string user_id;
  // Placeholder values, unescaped: order_id, order_ref, amount, total_refunded, carrier,
  // tracking_number (as the event has them); name is the caller's to add.
  std::map<std::string, std::string> values;
};

// The notice an order event calls for; nullopt for every other event (OrderPlaced,
// OrderFailed, payment and catalog events).
std::optional<OrderNotice> NoticeOf(const events::v1::Envelope& event);

// "12.34 EUR", "1,234 JPY", "-0.05 USD": minor units with the currency's decimals (ISO 4217:
// 0 for JPY, KRW, ..., 3 for BHD, KWD, ..., else 2).
std::string FormatMoney(int64_t amount, std::string_view currency);

// & < > " ' as entities.
std::string HtmlEscape(std::string_view text);

// Replaces every {{name}} of `text` by values[name] (HTML-escaped when `html`).
// INVALID_ARGUMENT naming the placeholder when a value is missing or a "{{" is not closed.
absl::StatusOr<std::string> Substitute(std::string_view text,
                                       const std::map<std::string, std::string>& values, bool html);

struct RenderedEmail {
  std::string subject;
  std::string text;
  std::string html;
};

// The email of `notice` (values plus order_url and shop_url from `shop_url`).
absl::StatusOr<RenderedEmail> RenderEmail(const OrderNotice& notice, std::string_view shop_url);

}  // namespace mercato::notification
