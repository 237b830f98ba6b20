// The notification pipeline in-process (consumer -> emails table -> sender -> SMTP) against a
// real PostgreSQL, a real Kafka broker (a topic of each test's own), the real SMTP sink and a
// fake user service over gRPC: one email per order event that calls for one, with its exact
// subject, recipient and parts; an event delivered twice makes one email; an email queued
// while the SMTP server is down arrives once when it is back.
#include <memory>

#include "auth/service_token.h"
#include "metrics/metrics.h"
#include "notification/email_sender.h"
#include "notification/notification_service.h"
#include "notification/postgres_notification_store.h"
#include "notification/smtp_transport.h"
#include "notification_test_support.h"
#include "rpc/client.h"
#include "support/grpc_server.h"
#include "support/identity.h"
#include "support/migrated_database.h"

namespace mercato::notification {
namespace {

using events::Eventually;
using events::MetricValue;
using events::UniqueName;
using testing::KafkaServer;
using namespace std::chrono_literals;

class NotificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::MigratedDatabase("notification_test", {.size = 8}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto sink = testing::SmtpSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = std::move(*sink);
    ASSERT_TRUE(user_server_.ok());
    topic_ = UniqueName("test.orders");
    ASSERT_TRUE(KafkaServer::Shared()->CreateTopic(topic_, 2).ok());
    auto publisher = events::NewKafkaPublisher(
        {.brokers = KafkaServer::Shared()->brokers(), .client_id = "notification-test"});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = std::move(*publisher);
    StartPipeline();
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
    if (sender_) sender_->Stop();
  }

  void StartPipeline() {
    auto tokens = std::make_shared<auth::ServiceTokenMinter>("notification",
                                                             testing::TestKey("notification"));
    user_ =
        user::v1::UserService::NewStub(ConnectBackend(user_server_.address(), metrics_,
                                                      {.backend = "user", .service_tokens = tokens})
                                           .channel);
    contacts_ = std::make_unique<UserContacts>(*user_, 5000ms);
    store_ = std::make_unique<PostgresNotificationStore>(*db_.pool);
    service_ = std::make_unique<NotificationService>(
        *store_, *contacts_, emails_, NotificationOptions{.shop_url = "https://shop.example"});
    smtp_ = std::make_unique<CurlSmtpTransport>(SmtpConfig{.url = sink_->url(), .timeout = 5s});
    sender_ = std::make_unique<EmailSender>(
        *store_, *smtp_, emails_,
        EmailSenderOptions{
            .interval = 50ms, .abandoned_after = 10s, .backoff = 100ms, .max_backoff = 400ms});
    sender_->Start();
    events::ConsumerOptions options = NotificationConsumerOptions(
        {.kafka = {.brokers = KafkaServer::Shared()->brokers(), .client_id = "notification"}});
    options.group = UniqueName("notification");  // a group and topic of this test's own
    options.topics = {topic_};
    auto consumer = events::EventConsumer::Create(
        options, *db_.pool,
        [this](const events::v1::Envelope& e, pqxx::work& tx) { return service_->Handle(e, tx); },
        metrics_.registry());
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = std::move(*consumer);
    consumer_->Start();
  }

  void Publish(const std::vector<events::v1::Envelope>& envelopes) {
    std::vector<events::OutgoingRecord> records;
    for (const auto& e : envelopes) records.push_back(events::RecordOf(topic_, e));
    for (const absl::Status& ack : publisher_->PublishAll(records)) ASSERT_TRUE(ack.ok()) << ack;
  }

  double Consumed(const std::string& outcome) {
    return MetricValue(metrics_.registry(), "mercato_events_consumed_total",
                       {{"outcome", outcome}});
  }

  std::string Sql(const std::string& sql) {
    return testing::PostgresServer::Shared()->Psql("notification_test", sql);
  }

  testing::Migrated db_;
  std::unique_ptr<testing::SmtpSink> sink_;
  FakeUserService fake_user_;
  testing::LocalServer user_server_{{&fake_user_}};
  std::string topic_;
  events::EventPublisherPtr publisher_;
  Metrics metrics_{"notification-test"};
  NotificationMetrics emails_{metrics_.registry()};
  std::unique_ptr<user::v1::UserService::Stub> user_;
  std::unique_ptr<UserContacts> contacts_;
  std::unique_ptr<PostgresNotificationStore> store_;
  std::unique_ptr<NotificationService> service_;
  std::unique_ptr<CurlSmtpTransport> smtp_;
  std::unique_ptr<EmailSender> sender_;
  std::unique_ptr<events::EventConsumer> consumer_;
};

std::vector<events::v1::Envelope> OneEventOfEachKind(const std::string& order_id,
                                                     const std::string& user) {
  std::vector<events::v1::Envelope> out;
  out.push_back(OrderPaidEvent(order_id, user));
  events::v1::Envelope shipped = events::NewEvent("fulfillment");
  auto* s = shipped.mutable_order_shipped();
  s->set_order_id(order_id), s->set_user_id(user), s->set_shipment_id("shipment-1");
  s->set_carrier("DHL & Co"), s->set_tracking_number("TRACK-42");
  out.push_back(shipped);
  events::v1::Envelope delivered = events::NewEvent("fulfillment");
  *delivered.mutable_order_delivered()->mutable_order_id() = order_id;
  delivered.mutable_order_delivered()->set_user_id(user);
  delivered.mutable_order_delivered()->set_carrier("DHL & Co");
  delivered.mutable_order_delivered()->set_tracking_number("TRACK-42");
  out.push_back(delivered);
  events::v1::Envelope cancelled = events::NewEvent("checkout");
  cancelled.mutable_order_cancelled()->set_order_id(order_id);
  cancelled.mutable_order_cancelled()->set_user_id(user);
  *cancelled.mutable_order_cancelled()->mutable_refunded() = Money(500, "JPY");
  out.push_back(cancelled);
  events::v1::Envelope refunded = events::NewEvent("checkout");
  auto* r = refunded.mutable_order_refunded();
  r->set_order_id(order_id), r->set_user_id(user), r->set_refund_id("refund-1");
  *r->mutable_amount() = Money(250, "USD");
  *r->mutable_total_refunded() = Money(1250, "USD");
  out.push_back(refunded);
  return out;
}

TEST_F(NotificationTest, EachOrderEventKindMakesExactlyOneEmail) {
  const std::string order = "1a2b3c4d-0000-4000-8000-000000000001";
  std::vector<events::v1::Envelope> events = OneEventOfEachKind(order, "user-1");
  // Events that call for no email: OrderPlaced, OrderFailed, and an unknown user's OrderPaid.
  events::v1::Envelope placed = events::NewEvent("checkout");
  placed.mutable_order_placed()->set_order_id(order);
  placed.mutable_order_placed()->set_user_id("user-1");
  events::v1::Envelope failed = events::NewEvent("checkout");
  failed.mutable_order_failed()->set_order_id(order);
  failed.mutable_order_failed()->set_user_id("user-1");
  std::vector<events::v1::Envelope> all = {placed, failed,
                                           OrderPaidEvent(order, FakeUserService::kUnknownUser)};
  all.insert(all.end(), events.begin(), events.end());
  Publish(all);
  ASSERT_TRUE(Eventually([&] { return Consumed("applied") == 8; }, 60s));
  ASSERT_TRUE(Eventually([&] { return sink_->Messages().size() == 5; }, 30s));
  EXPECT_EQ(Sql("SELECT status, count(*) FROM emails GROUP BY status"), "sent|5");
  EXPECT_EQ(fake_user_.calls.load(), 6);
  EXPECT_EQ(fake_user_.with_token.load(), 6);

  const std::vector<std::string> subjects = {"Your Mercato order 1a2b3c4d\u2026 is confirmed",
                                             "Your Mercato order 1a2b3c4d\u2026 is on its way",
                                             "Your Mercato order 1a2b3c4d\u2026 was delivered",
                                             "Your Mercato order 1a2b3c4d\u2026 is cancelled",
                                             "A refund for your Mercato order 1a2b3c4d\u2026"};
  const std::vector<std::string> amounts = {"1,234.56 EUR", "TRACK-42", "TRACK-42", "500 JPY",
                                            "2.50 USD"};
  const auto mail = sink_->Messages();  // one partition (one order id): in event order
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(subjects[i]);
    EXPECT_EQ(mail[i].Header("to"), "<user-1@example.com>");
    EXPECT_EQ(mail[i].Header("from"), "Mercato <orders@mercato.local>");
    EXPECT_EQ(mail[i].Header("subject"), subjects[i]);
    EXPECT_EQ(mail[i].Header("message-id"), MessageIdOf(events[i].event_id()));
    ASSERT_EQ(mail[i].parts.size(), 2u);
    EXPECT_EQ(mail[i].parts[0].ContentType(), "text/plain");
    EXPECT_EQ(mail[i].parts[1].ContentType(), "text/html");
    EXPECT_NE(mail[i].parts[0].body.find(amounts[i]), std::string::npos);
    EXPECT_NE(mail[i].parts[1].body.find(amounts[i]), std::string::npos);
    EXPECT_NE(mail[i].parts[0].body.find("Hello Ada <Lovelace>,"), std::string::npos);
    EXPECT_NE(mail[i].parts[1].body.find("Hello Ada &lt;Lovelace&gt;,"), std::string::npos);
  }
  EXPECT_EQ(mail[1].Part("text/plain")->body,
            "Hello Ada <Lovelace>,\r\n\r\nyour order " + order +
                " is on its way: DHL & Co has it, tracking number\r\nTRACK-42.\r\n\r\n"
                "Your order: https://shop.example/orders/" +
                order + "\r\n\r\nMercato");
  EXPECT_NE(mail[1].Part("text/html")->body.find("<strong>DHL &amp; Co</strong>"),
            std::string::npos);
  EXPECT_EQ(MetricValue(metrics_.registry(), "mercato_notification_emails_total",
                        {{"outcome", "no_contact"}}),
            1);
}

TEST_F(NotificationTest, TheSameEventDeliveredTwiceMakesOneEmail) {
  const events::v1::Envelope paid = OrderPaidEvent(NewUuid(), "user-2");
  Publish({paid});
  Publish({paid});
  ASSERT_TRUE(Eventually([&] { return Consumed("applied") + Consumed("duplicate") == 2; }, 60s));
  ASSERT_TRUE(Eventually([&] { return Sql("SELECT status FROM emails") == "sent"; }, 30s));
  EXPECT_EQ(Consumed("applied"), 1);
  EXPECT_EQ(Consumed("duplicate"), 1);
  EXPECT_EQ(MessageIds(*sink_), std::vector<std::string>{MessageIdOf(paid.event_id())});
  EXPECT_EQ(Sql("SELECT count(*) FROM emails"), "1");
}

TEST_F(NotificationTest, AnEmailQueuedWhileTheSmtpServerIsDownArrivesOnceItIsBack) {
  sink_->Stop();
  const events::v1::Envelope paid = OrderPaidEvent(NewUuid(), "user-3");
  Publish({paid});
  // Tried and queued again at least twice while the server is away.
  ASSERT_TRUE(Eventually(
      [&] { return Sql("SELECT status, attempts >= 2 FROM emails") == "queued|t"; }, 60s));
  EXPECT_TRUE(sink_->Messages().empty());
  ASSERT_TRUE(sink_->Restart().ok());
  ASSERT_TRUE(Eventually([&] { return Sql("SELECT status FROM emails") == "sent"; }, 30s));
  EXPECT_EQ(MessageIds(*sink_), std::vector<std::string>{MessageIdOf(paid.event_id())});
  EXPECT_GE(MetricValue(metrics_.registry(), "mercato_notification_emails_total",
                        {{"outcome", "retried"}}),
            2);
  EXPECT_EQ(
      MetricValue(metrics_.registry(), "mercato_notification_emails_total", {{"outcome", "sent"}}),
      1);
}

// The transport alone against a sink that requires a login: MERCATO_SMTP_USERNAME and
// MERCATO_SMTP_PASSWORD log in; without them, or with a wrong password, the server's 5xx is a
// permanent refusal.
TEST(SmtpTransportTest, LogsInWhenAUsernameIsSetAndA5xxIsPermanent) {
  auto sink = testing::SmtpSink::Start("mercato:s3cret");
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string message =
      "Subject: login test\r\nMessage-ID: <login@mercato.local>\r\n\r\nbody\r\n";
  auto send = [&](const std::string& user, const std::string& password) {
    CurlSmtpTransport smtp(
        {.url = (*sink)->url(), .username = user, .password = password, .timeout = 5s});
    return smtp.Send("orders@mercato.local", "ada@example.com", message);
  };
  const SendResult anonymous = send("", "");
  EXPECT_EQ(anonymous.outcome, SendOutcome::kPermanent) << anonymous.error;
  EXPECT_EQ(anonymous.smtp_code, 530);
  const SendResult wrong = send("mercato", "wrong");
  EXPECT_EQ(wrong.outcome, SendOutcome::kPermanent) << wrong.error;
  EXPECT_EQ(wrong.smtp_code, 535);
  EXPECT_TRUE((*sink)->Messages().empty());
  const SendResult right = send("mercato", "s3cret");
  EXPECT_EQ(right.outcome, SendOutcome::kSent) << right.error;
  ASSERT_EQ((*sink)->Messages().size(), 1u);
  EXPECT_EQ((*sink)->Messages()[0].Header("message-id"), "<login@mercato.local>");
}

}  // namespace
}  // namespace mercato::notification
