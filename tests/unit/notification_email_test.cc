// The emails' content: money formatting, HTML escaping, placeholder substitution, the notice
// of each order event, every template rendering, and the RFC 5322 / MIME structure of the
// message (parsed back by the test sink's parser).
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "events/contracts.h"
#include "notification/email_templates.h"
#include "notification/mime_message.h"
#include "support/smtp_sink.h"

namespace mercato::notification {
namespace {

TEST(NotificationMoneyTest, FormatsMinorUnitsWithTheCurrencysDecimals) {
  EXPECT_EQ(FormatMoney(123456, "EUR"), "1,234.56 EUR");
  EXPECT_EQ(FormatMoney(5, "USD"), "0.05 USD");
  EXPECT_EQ(FormatMoney(0, "USD"), "0.00 USD");
  EXPECT_EQ(FormatMoney(-250, "USD"), "-2.50 USD");
  EXPECT_EQ(FormatMoney(1500, "JPY"), "1,500 JPY");
  EXPECT_EQ(FormatMoney(1234, "KWD"), "1.234 KWD");
  EXPECT_EQ(FormatMoney(100000000, "GBP"), "1,000,000.00 GBP");
  EXPECT_EQ(FormatMoney(INT64_MIN, "USD"), "-92,233,720,368,547,758.08 USD");
}

TEST(NotificationTemplateTest, EscapesHtml) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
}

TEST(NotificationTemplateTest, SubstitutesPlaceholdersEscapingOnlyInHtml) {
  const std::map<std::string, std::string> values = {{"name", "<b>Ada</b>"}, {"n", "1"}};
  EXPECT_EQ(*Substitute("Hi {{name}} {{n}}{{n}}!", values, false), "Hi <b>Ada</b> 11!");
  EXPECT_EQ(*Substitute("Hi {{name}}", values, true), "Hi &lt;b&gt;Ada&lt;/b&gt;");
  EXPECT_EQ(*Substitute("no placeholders", values, true), "no placeholders");
  EXPECT_EQ(Substitute("{{missing}}", values, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Substitute("{{name", values, false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

events::v1::Envelope Shipped() {
  events::v1::Envelope e = events::NewEvent("fulfillment");
  auto* s = e.mutable_order_shipped();
  s->set_order_id("1a2b3c4d-aaaa-4bbb-8ccc-000000000001");
  s->set_user_id("u1");
  s->set_carrier("UPS");
  s->set_tracking_number("1Z<999>");
  return e;
}

TEST(NotificationTemplateTest, NoticesOnlyTheFiveOrderEventsThatCallForAnEmail) {
  auto notice = NoticeOf(Shipped());
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->kind, "order_shipped");
  EXPECT_EQ(notice->user_id, "u1");
  EXPECT_EQ(notice->values.at("order_ref"), "1a2b3c4d\u2026");
  EXPECT_EQ(notice->values.at("tracking_number"), "1Z<999>");
  events::v1::Envelope refunded = events::NewEvent("checkout");
  refunded.mutable_order_refunded()->mutable_amount()->set_amount(250);
  refunded.mutable_order_refunded()->mutable_amount()->set_currency("USD");
  EXPECT_EQ(NoticeOf(refunded)->values.at("amount"), "2.50 USD");
  events::v1::Envelope placed = events::NewEvent("checkout");
  placed.mutable_order_placed()->set_order_id("o");
  EXPECT_FALSE(NoticeOf(placed).has_value());
  events::v1::Envelope failed = events::NewEvent("checkout");
  failed.mutable_order_failed()->set_order_id("o");
  EXPECT_FALSE(NoticeOf(failed).has_value());
  events::v1::Envelope captured = events::NewEvent("payment");
  captured.mutable_payment_captured()->set_order_id("o");
  EXPECT_FALSE(NoticeOf(captured).has_value());
}

TEST(NotificationTemplateTest, EveryKindRendersWithEveryPlaceholderFilled) {
  for (const char* kind :
       {"order_paid", "order_shipped", "order_delivered", "order_cancelled", "order_refunded"}) {
    OrderNotice notice{kind, "order-1", "u1", {}};
    for (const char* name : {"order_id", "order_ref", "amount", "total_refunded", "carrier",
                             "tracking_number", "name"}) {
      notice.values[name] = std::string("<") + name + ">";
    }
    auto email = RenderEmail(notice, "https://shop.example");
    ASSERT_TRUE(email.ok()) << kind << ": " << email.status();
    EXPECT_EQ(email->text.find("{{"), std::string::npos) << kind;
    EXPECT_EQ(email->html.find("{{"), std::string::npos) << kind;
    EXPECT_NE(email->text.find("https://shop.example/orders/order-1"), std::string::npos);
    EXPECT_NE(email->html.find("href=\"https://shop.example/orders/order-1\""), std::string::npos);
    EXPECT_NE(email->text.find("Hello <name>,"), std::string::npos) << kind;
    EXPECT_NE(email->html.find("Hello &lt;name&gt;,"), std::string::npos) << kind;
    EXPECT_EQ(email->html.find("<name>"), std::string::npos) << kind;
  }
  EXPECT_EQ(RenderEmail({"order_lost", "o", "u", {}}, "x").status().code(),
            absl::StatusCode::kInternal);
}

TEST(NotificationTemplateTest, TheShippedSubjectNamesTheOrder) {
  auto notice = NoticeOf(Shipped());
  notice->values["name"] = "Ada";
  auto email = RenderEmail(*notice, "https://shop.example");
  ASSERT_TRUE(email.ok());
  EXPECT_EQ(email->subject, "Your Mercato order 1a2b3c4d\u2026 is on its way");
  EXPECT_NE(email->html.find("1Z&lt;999&gt;"), std::string::npos);
  EXPECT_NE(email->text.find("UPS has it, tracking number\n1Z<999>."), std::string::npos);
}

TEST(NotificationMimeTest, EncodesNonAsciiHeaderTextAsEncodedWords) {
  EXPECT_EQ(EncodeHeaderText("Plain subject"), "Plain subject");
  EXPECT_EQ(EncodeHeaderText("Injected\r\nBcc: x@y"), "InjectedBcc: x@y");
  const std::string encoded = EncodeHeaderText("Your order 1a2b\u2026 is on its way");
  EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u) << encoded;
  EXPECT_EQ(testing::DecodeHeaderText(encoded), "Your order 1a2b\u2026 is on its way");
  EXPECT_NE(EncodeHeaderText("\u00e9" + std::string(80, 'a')).find("\r\n "), std::string::npos);
}

TEST(NotificationMimeTest, QuotedPrintableKeepsLinesShortAndRoundTrips) {
  const std::string text = "caf\u00e9 = 1\n" + std::string(200, 'x') + " \nlast line";
  const std::string qp = QuotedPrintable(text);
  for (absl::string_view line : absl::StrSplit(qp, "\r\n")) {
    EXPECT_LE(line.size(), 76u) << line;
  }
  EXPECT_NE(qp.find("caf=C3=A9 =3D 1\r\n"), std::string::npos) << qp;
  EXPECT_NE(qp.find("x=20\r\n"), std::string::npos) << qp;  // trailing space encoded
  EXPECT_EQ(testing::DecodeQuotedPrintable(qp),
            "caf\u00e9 = 1\r\n" + std::string(200, 'x') + " \r\nlast line\r\n");
}

TEST(NotificationMimeTest, BuildsAMultipartAlternativeMessage) {
  const std::string id = MessageIdFor("0b5e7a9c-1111-4222-8333-444455556666", "shop@example.com");
  EXPECT_EQ(id, "<0b5e7a9c-1111-4222-8333-444455556666@example.com>");
  const std::string raw =
      BuildMessage({.from = "shop@example.com",
                    .to = "ada@example.org",
                    .subject = "Your Mercato order 1a2b3c4d\u2026 is on its way",
                    .message_id = id,
                    .date = absl::FromUnixSeconds(1700000000)},
                   {"s", "Hello Ada,\nplain text\n", "<p>Hello &lt;Ada&gt;</p>\n"});
  for (absl::string_view line : absl::StrSplit(raw, "\r\n")) {
    EXPECT_LE(line.size(), 78u) << line;
    EXPECT_EQ(line.find('\n'), absl::string_view::npos);
  }
  const testing::ReceivedEmail email = testing::ParseEmail(raw);
  EXPECT_EQ(email.Header("from"), "Mercato <shop@example.com>");
  EXPECT_EQ(email.Header("to"), "<ada@example.org>");
  EXPECT_EQ(email.Header("subject"), "Your Mercato order 1a2b3c4d\u2026 is on its way");
  EXPECT_EQ(email.Header("message-id"), id);
  EXPECT_EQ(email.Header("date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(email.Header("mime-version"), "1.0");
  EXPECT_EQ(email.Header("content-type"),
            "multipart/alternative; boundary=\"" + BoundaryFor(id) + "\"");
  ASSERT_EQ(email.parts.size(), 2u);
  EXPECT_EQ(email.parts[0].ContentType(), "text/plain");
  EXPECT_EQ(email.parts[0].headers.at("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(email.parts[0].headers.at("content-transfer-encoding"), "quoted-printable");
  EXPECT_EQ(email.parts[0].body, "Hello Ada,\r\nplain text");
  EXPECT_EQ(email.parts[1].ContentType(), "text/html");
  EXPECT_EQ(email.parts[1].body, "<p>Hello &lt;Ada&gt;</p>");
}

}  // namespace
}  // namespace mercato::notification
