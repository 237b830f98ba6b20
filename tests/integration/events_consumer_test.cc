// The inbox-backed consumer against a real PostgreSQL and a real Kafka broker, on topics of
// each test's own: a poison event is dead-lettered after max_attempts and the consumer goes on;
// a replay after the fix applies it once; a consumer restarted mid-stream resumes from its
// committed offsets, losing and repeating nothing.
#include <atomic>

#include "events/consumer.h"
#include "events/dead_letter.h"
#include "events_test_support.h"

namespace mercato::events {
namespace {

using testing::KafkaServer;
using namespace std::chrono_literals;

class EventsConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = KafkaServer::Shared()->brokers();
    pool_ = OpenEventsDatabase("events_consumer");
    ASSERT_NE(pool_, nullptr);
    auto publisher = NewKafkaPublisher({.brokers = brokers_, .client_id = "consumer-test"});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = std::move(*publisher);
  }

  void Publish(const std::vector<OutgoingRecord>& records) {
    for (const absl::Status& ack : publisher_->PublishAll(records)) ASSERT_TRUE(ack.ok()) << ack;
  }

  std::unique_ptr<EventConsumer> Consumer(ConsumerOptions options, EventHandler handler,
                                          prometheus::Registry& metrics) {
    options.kafka = {.brokers = brokers_, .client_id = "consumer-test"};
    auto consumer = EventConsumer::Create(std::move(options), *pool_, std::move(handler), metrics);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    return consumer.ok() ? std::move(*consumer) : nullptr;
  }

  int64_t Effects(const std::string& where) {
    return Count(*pool_, "SELECT count(*) FROM effects WHERE " + where);
  }

  std::string brokers_;
  std::unique_ptr<PgPool> pool_;
  EventPublisherPtr publisher_;
};

TEST_F(EventsConsumerTest, APoisonEventIsDeadLetteredAndAReplayAfterTheFixAppliesItOnce) {
  const std::string topic = UniqueName("test.poison");
  const std::string dead_letters = UniqueName("test.deadletter");
  ASSERT_TRUE(KafkaServer::Shared()->CreateTopic(topic, 1).ok());
  ASSERT_TRUE(KafkaServer::Shared()->CreateTopic(dead_letters, 1).ok());
  const std::string product = UniqueName("poison");
  std::vector<v1::Envelope> events = {StockEvent(product, 1), StockEvent(product, 2),
                                      StockEvent(product, 3)};
  std::vector<OutgoingRecord> records;
  for (const auto& e : events) records.push_back(RecordOf(topic, e));
  Publish(records);

  std::atomic<bool> broken{true};  // the handler cannot apply event 2 until "fixed"
  auto handler = [&](const v1::Envelope& e, pqxx::work& tx) -> absl::Status {
    if (broken && e.stock_changed().sellable_quantity() == 2) {
      return absl::InvalidArgumentError("cannot apply stock 2");
    }
    return RecordEffect(e, tx);
  };
  prometheus::Registry metrics;
  const std::string group = UniqueName("poison-group");
  auto consumer = Consumer({.group = group,
                            .topics = {topic},
                            .max_attempts = 3,
                            .retry_backoff = 20ms,
                            .dead_letter_topic = dead_letters},
                           handler, metrics);
  ASSERT_NE(consumer, nullptr);
  consumer->Start();
  // Event 3 comes after the poison one in the same partition: the consumer went on.
  ASSERT_TRUE(Eventually([&] { return Effects("seq IN (1, 3)") == 2; }, 60s));
  EXPECT_EQ(Effects("seq = 2"), 0);
  EXPECT_EQ(MetricValue(metrics, "mercato_events_handler_failures_total"), 3);
  EXPECT_EQ(MetricValue(metrics, "mercato_events_consumed_total", {{"outcome", "dead_lettered"}}),
            1);

  auto dead = ReadTopic(brokers_, dead_letters);
  ASSERT_TRUE(dead.ok()) << dead.status();
  ASSERT_EQ(dead->size(), 1u);
  auto why = ParseDeadLetter(dead->at(0));
  ASSERT_TRUE(why.ok()) << why.status();
  EXPECT_EQ(dead->at(0).Header(kEventIdHeader), events[1].event_id());
  EXPECT_EQ(dead->at(0).value, records[1].value);
  EXPECT_EQ(why->group, group);
  EXPECT_EQ(why->topic, topic);
  EXPECT_EQ(why->partition, 0);
  EXPECT_EQ(why->offset, 1);
  EXPECT_EQ(why->attempts, 3);
  EXPECT_EQ(why->error, "INVALID_ARGUMENT: cannot apply stock 2");

  broken = false;
  EXPECT_EQ(ReplayDeadLetters(brokers_, dead_letters, {.group = group}, *publisher_).value_or(-1),
            1);
  ASSERT_TRUE(Eventually([&] { return Effects("seq = 2") == 1; }, 60s));
  // A second replay reaches the consumer too, and changes nothing.
  EXPECT_EQ(ReplayDeadLetters(brokers_, dead_letters, {.group = group}, *publisher_).value_or(-1),
            1);
  ASSERT_TRUE(Eventually(
      [&] {
        return MetricValue(metrics, "mercato_events_consumed_total", {{"outcome", "duplicate"}}) ==
               1;
      },
      60s));
  consumer->Stop();
  EXPECT_EQ(Effects(absl::StrCat("aggregate_id = '", product, "'")), 3);
  EXPECT_EQ(Effects("seq = 2"), 1);
}

TEST_F(EventsConsumerTest, AConsumerRestartedMidStreamResumesFromItsCommittedOffsets) {
  const std::string topic = UniqueName("test.restart");
  ASSERT_TRUE(KafkaServer::Shared()->CreateTopic(topic, 3).ok());
  const std::string group = UniqueName("restart-group");
  auto publish = [&](int from, int to) {
    std::vector<OutgoingRecord> records;
    for (int seq = from; seq < to; ++seq) {
      records.push_back(RecordOf(topic, StockEvent(absl::StrCat("restart-", seq % 4), seq)));
    }
    Publish(records);
  };
  publish(0, 40);

  prometheus::Registry first_metrics;
  auto first = Consumer({.group = group, .topics = {topic}}, RecordEffect, first_metrics);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(Eventually(
      [&] {
        first->PollOnce(100ms).IgnoreError();
        return Effects("true") >= 15;
      },
      60s));
  first->Stop();  // commits what it applied and leaves the group
  const int64_t applied_by_first = Effects("true");
  ASSERT_LT(applied_by_first, 40);
  publish(40, 60);

  prometheus::Registry second_metrics;
  auto second = Consumer({.group = group, .topics = {topic}}, RecordEffect, second_metrics);
  ASSERT_NE(second, nullptr);
  second->Start();
  ASSERT_TRUE(Eventually([&] { return Effects("true") == 60; }, 60s));
  second->Stop();
  EXPECT_EQ(Count(*pool_, "SELECT count(DISTINCT seq) FROM effects"), 60);
  EXPECT_EQ(Effects("true"), 60);
  // Nothing the first one applied was read again: the second started at the committed offsets.
  EXPECT_EQ(
      MetricValue(second_metrics, "mercato_events_consumed_total", {{"outcome", "duplicate"}}), 0);
  EXPECT_EQ(MetricValue(second_metrics, "mercato_events_consumed_total", {{"outcome", "applied"}}),
            60 - applied_by_first);
}

}  // namespace
}  // namespace mercato::events
