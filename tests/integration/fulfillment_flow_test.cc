// The fulfillment worker's pieces as main.cc wires them (the order events consumer, the
// simulated carrier, the outbox relay) against a real PostgreSQL and a real Kafka broker, with
// a fake checkout served in-process: a paid order is shipped and delivered with each event on
// mercato.orders.v1 once; OrderPaid delivered twice makes one shipment; checkout's refusal
// to ship, or an OrderCancelled before shipping, cancels the shipment and nothing ships; a
// checkout that is down is retried.
#include <memory>

#include "common/periodic_task.h"
#include "events/consumer.h"
#include "events/outbox_relay.h"
#include "fulfillment/fulfillment_service.h"
#include "fulfillment/order_events.h"
#include "fulfillment/postgres_fulfillment_store.h"
#include "fulfillment_test_support.h"
#include "support/grpc_server.h"
#include "support/migrated_database.h"

namespace mercato::fulfillment {
namespace {

using testing::KafkaServer;
using namespace std::chrono_literals;

class FulfillmentFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int databases = 0;
    auto db = testing::MigratedDatabase("fulfillment_flow_" + std::to_string(++databases),
                                        {.size = 8}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    pool_ = std::move(db->pool);
    store_ = std::make_unique<PostgresFulfillmentStore>(*pool_);
    brokers_ = KafkaServer::Shared()->brokers();
    // A topic of the test's own stands for mercato.orders.v1 as the input; what the worker
    // publishes goes to the real mercato.orders.v1.
    topic_ = events::UniqueName("test.orders");
    ASSERT_TRUE(KafkaServer::Shared()->CreateTopic(topic_, 3).ok());
    auto publisher = events::NewKafkaPublisher({.brokers = brokers_, .client_id = "flow-test"});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = std::move(*publisher);
    server_ =
        std::make_unique<testing::LocalServer>(std::initializer_list<grpc::Service*>{&checkout_});
    ASSERT_TRUE(server_->ok());
    stub_ = ck::CheckoutService::NewStub(server_->Channel());
    metrics_ = std::make_unique<FulfillmentMetrics>(registry_);
  }

  void TearDown() override {
    if (carrier_task_) carrier_task_->Stop();
    if (consumer_) consumer_->Stop();
    if (relay_) relay_->Stop();
  }

  // Starts the consumer, the carrier (every 20 ms) and the relay.
  void StartWorker(CarrierOptions options) {
    events::ConsumerOptions consumer_options{
        .kafka = {.brokers = brokers_, .client_id = "fulfillment-test"},
        .group = events::UniqueName("fulfillment"),
        .topics = {topic_},
        .retry_backoff = 20ms};
    auto consumer =
        events::EventConsumer::Create(consumer_options, *pool_, ApplyOrderEvent, registry_);
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = std::move(*consumer);
    consumer_->Start();
    options.carriers = kCarriers;
    options.rpc_timeout = 2000ms;
    carrier_ = std::make_unique<FulfillmentService>(*store_, *stub_, *metrics_, options);
    carrier_task_ = std::make_unique<PeriodicTask>(
        "carrier", 20ms, [this] { return carrier_->AdvanceDue().status(); });
    carrier_task_->Start();
    auto relay = events::OutboxRelay::Create(*pool_, {.brokers = brokers_, .client_id = "ful"},
                                             registry_, {.poll_interval = 20ms});
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_ = std::move(*relay);
    relay_->Start();
  }

  void Publish(const std::vector<events::v1::Envelope>& events) {
    std::vector<events::OutgoingRecord> records;
    for (const auto& e : events) records.push_back(events::RecordOf(topic_, e));
    for (const absl::Status& ack : publisher_->PublishAll(records)) ASSERT_TRUE(ack.ok()) << ack;
  }

  // The order's shipment state ("" without a shipment).
  std::string StateOf(const std::string& order_id) {
    auto shipment = store_->FindByOrder(order_id);
    EXPECT_TRUE(shipment.ok()) << shipment.status();
    if (!shipment.ok() || !shipment->has_value()) return "";
    return StateName((*shipment)->state);
  }

  bool Reaches(const std::string& order_id, const std::string& state) {
    return events::Eventually([&] { return StateOf(order_id) == state; }, 60s);
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return events::MetricValue(registry_, name, labels);
  }

  const std::vector<std::string> kCarriers = {"Mercato Post", "Parcel Express"};
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PostgresFulfillmentStore> store_;
  std::string brokers_;
  std::string topic_;
  events::EventPublisherPtr publisher_;
  FakeCheckout checkout_;
  std::unique_ptr<testing::LocalServer> server_;
  std::unique_ptr<ck::CheckoutService::Stub> stub_;
  prometheus::Registry registry_;
  std::unique_ptr<FulfillmentMetrics> metrics_;
  std::unique_ptr<FulfillmentService> carrier_;
  std::unique_ptr<PeriodicTask> carrier_task_;
  std::unique_ptr<events::EventConsumer> consumer_;
  std::unique_ptr<events::OutboxRelay> relay_;
};

TEST_F(FulfillmentFlowTest, APaidOrderIsShippedThenDeliveredWithEachEventOnceOnTheTopic) {
  StartWorker({.ship_delay = 0ms, .delivery_delay = 0ms});
  const std::string order = NewUuid(), user = NewUuid();
  Publish({OrderPaidEvent(order, user)});
  ASSERT_TRUE(Reaches(order, "delivered"));
  auto shipment = store_->FindByOrder(order);
  ASSERT_TRUE(shipment.ok() && shipment->has_value());
  EXPECT_EQ((*shipment)->user_id, user);
  EXPECT_EQ((*shipment)->carrier, CarrierFor(order, kCarriers));
  EXPECT_TRUE(IsTrackingNumber((*shipment)->tracking_number)) << (*shipment)->tracking_number;

  EXPECT_EQ(checkout_.Stages(order),
            (std::vector<int>{ck::FULFILLMENT_STAGE_FULFILLING, ck::FULFILLMENT_STAGE_SHIPPED,
                              ck::FULFILLMENT_STAGE_DELIVERED}));
  const auto calls = checkout_.Calls(order);
  EXPECT_EQ(calls[1].carrier(), (*shipment)->carrier);
  EXPECT_EQ(calls[1].tracking_number(), (*shipment)->tracking_number);
  EXPECT_EQ(calls[1].shipment_id(), (*shipment)->id);

  PublishedShipments published;
  ASSERT_TRUE(events::Eventually(
      [&] {
        published = PublishedFor({order});
        return published.shipped_ids[order].size() == 1 &&
               published.delivered_ids[order].size() == 1;
      },
      60s));
  ASSERT_EQ(published.shipped[order].size(), 1u);  // one record: nothing republished
  const events::v1::OrderShipped& shipped = published.shipped[order][0];
  EXPECT_EQ(shipped.user_id(), user);
  EXPECT_EQ(shipped.shipment_id(), (*shipment)->id);
  EXPECT_EQ(shipped.carrier(), (*shipment)->carrier);
  EXPECT_EQ(shipped.tracking_number(), (*shipment)->tracking_number);
  EXPECT_EQ(Metric("mercato_fulfillment_transitions_total", {{"to", "delivered"}}), 1);
}

TEST_F(FulfillmentFlowTest, OrderPaidDeliveredTwiceMakesOneShipment) {
  StartWorker({.ship_delay = 0ms, .delivery_delay = 0ms});
  const std::string order = NewUuid(), user = NewUuid();
  const events::v1::Envelope paid = OrderPaidEvent(order, user);
  // The same event redelivered, and a second OrderPaid (another event id) for the same order.
  Publish({paid, paid, OrderPaidEvent(order, user)});
  ASSERT_TRUE(events::Eventually(
      [&] {
        return Metric("mercato_events_consumed_total", {{"outcome", "duplicate"}}) == 1 &&
               Metric("mercato_events_consumed_total", {{"outcome", "applied"}}) == 2;
      },
      60s));
  ASSERT_TRUE(Reaches(order, "delivered"));
  EXPECT_EQ(
      events::Count(*pool_, "SELECT count(*) FROM shipments WHERE order_id = '" + order + "'"), 1);
  EXPECT_EQ(checkout_.Stages(order).size(), 3u);
  PublishedShipments published;
  ASSERT_TRUE(events::Eventually(
      [&] {
        published = PublishedFor({order});
        return published.delivered_ids[order].size() == 1;
      },
      60s));
  EXPECT_EQ(published.shipped[order].size(), 1u);
}

TEST_F(FulfillmentFlowTest, CheckoutRefusingToShipACancelledOrderCancelsTheShipment) {
  StartWorker({.ship_delay = 0ms, .delivery_delay = 0ms});
  const std::string order = NewUuid(), shipped_order = NewUuid();
  checkout_.Refuse(order, ck::FULFILLMENT_STAGE_SHIPPED, "order_cancelled");
  // The second order, after the first in the same stream, shows what was published meanwhile.
  Publish({OrderPaidEvent(order, "u1"), OrderPaidEvent(shipped_order, "u2")});
  ASSERT_TRUE(Reaches(order, "cancelled"));
  ASSERT_TRUE(Reaches(shipped_order, "delivered"));
  EXPECT_EQ(checkout_.Stages(order),
            (std::vector<int>{ck::FULFILLMENT_STAGE_FULFILLING, ck::FULFILLMENT_STAGE_SHIPPED}));
  EXPECT_EQ(events::Count(*pool_, "SELECT count(*) FROM outbox WHERE key = '" + order + "'"), 0);
  PublishedShipments published;
  ASSERT_TRUE(events::Eventually(
      [&] {
        published = PublishedFor({order, shipped_order});
        return published.delivered_ids[shipped_order].size() == 1;
      },
      60s));
  EXPECT_EQ(published.shipped_ids.count(order), 0u);
  EXPECT_EQ(published.delivered_ids.count(order), 0u);
  EXPECT_EQ(
      Metric("mercato_fulfillment_transitions_total", {{"from", "packing"}, {"to", "cancelled"}}),
      1);
}

TEST_F(FulfillmentFlowTest, OrderCancelledBeforeShippingCancelsThePackingShipment) {
  StartWorker({.ship_delay = 3600s, .delivery_delay = 0ms});
  const std::string order = NewUuid();
  Publish({OrderPaidEvent(order, "u1")});
  ASSERT_TRUE(Reaches(order, "packing"));
  Publish({OrderCancelledEvent(order, "u1")});
  ASSERT_TRUE(Reaches(order, "cancelled"));
  EXPECT_EQ(checkout_.Stages(order), (std::vector<int>{ck::FULFILLMENT_STAGE_FULFILLING}));
  EXPECT_EQ(events::Count(*pool_, "SELECT count(*) FROM outbox"), 0);
}

TEST_F(FulfillmentFlowTest, ACheckoutThatIsDownIsRetriedWithBackoff) {
  checkout_.FailNext(2);
  StartWorker({.ship_delay = 0ms, .delivery_delay = 0ms});
  const std::string order = NewUuid();
  Publish({OrderPaidEvent(order, "u1")});
  ASSERT_TRUE(Reaches(order, "delivered"));
  EXPECT_EQ(checkout_.Stages(order),
            (std::vector<int>{ck::FULFILLMENT_STAGE_FULFILLING, ck::FULFILLMENT_STAGE_FULFILLING,
                              ck::FULFILLMENT_STAGE_FULFILLING, ck::FULFILLMENT_STAGE_SHIPPED,
                              ck::FULFILLMENT_STAGE_DELIVERED}));
  EXPECT_EQ(Metric("mercato_fulfillment_carrier_call_failures_total",
                   {{"stage", "fulfilling"}, {"code", "service_unavailable"}}),
            2);
}

}  // namespace
}  // namespace mercato::fulfillment
