// The outbox and its relay against a real PostgreSQL and a real Kafka broker: every event
// published exactly once and in order per key (two relays sharing the outbox), events waiting
// in the outbox while the broker is down, and a relay killed between the broker's
// acknowledgement and its commit (published again; the consumer's inbox applies it once).
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "events/consumer.h"
#include "events/outbox_relay.h"
#include "events_test_support.h"
#include "support/process.h"

namespace mercato::events {
namespace {

using testing::KafkaServer;
using namespace std::chrono_literals;

EventPublisherPtr Publisher(std::chrono::milliseconds delivery_timeout = 10s) {
  auto publisher = NewKafkaPublisher({.brokers = KafkaServer::Shared()->brokers(),
                                      .client_id = "relay-test",
                                      .delivery_timeout = delivery_timeout});
  EXPECT_TRUE(publisher.ok()) << publisher.status();
  return publisher.ok() ? std::move(*publisher) : nullptr;
}

OutboxRelayOptions FastRelay() {
  OutboxRelayOptions options;
  options.poll_interval = 50ms;
  options.batch_size = 25;
  options.initial_backoff = 200ms;
  options.max_backoff = 2s;
  return options;
}

int64_t Unsent(PgPool& pool) {
  return Count(pool, "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
}

// Every event of `products` appears once, and each product's events are 0..n-1 in order, all
// in one partition.
void ExpectOncePerEventInOrder(const std::vector<std::string>& products, int n) {
  std::map<std::string, int> copies;
  std::map<std::string, std::vector<int64_t>> seqs;
  std::map<std::string, std::set<int32_t>> partitions;
  for (const Received& r : EventsOf(kCatalogTopic, products)) {
    ++copies[r.event.event_id()];
    seqs[r.event.aggregate_id()].push_back(r.event.stock_changed().sellable_quantity());
    partitions[r.event.aggregate_id()].insert(r.partition);
  }
  EXPECT_EQ(copies.size(), products.size() * n);
  for (const auto& [id, count] : copies) EXPECT_EQ(count, 1) << "event " << id;
  std::vector<int64_t> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = i;
  for (const std::string& p : products) {
    EXPECT_EQ(seqs[p], expected) << "product " << p;
    EXPECT_EQ(partitions[p].size(), 1u) << "product " << p;
  }
}

class EventsRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KafkaServer::Shared();
    pool_ = OpenEventsDatabase("events_relay");
    ASSERT_NE(pool_, nullptr);
  }
  std::unique_ptr<PgPool> pool_;
};

TEST_F(EventsRelayTest, TwoRelaysPublishEveryEventOnceInOrderPerKey) {
  prometheus::Registry metrics_a, metrics_b;
  OutboxRelay a(*pool_, Publisher(), metrics_a, FastRelay());
  OutboxRelay b(*pool_, Publisher(), metrics_b, FastRelay());
  a.Start();
  b.Start();
  std::vector<std::string> products;
  for (int i = 0; i < 8; ++i) products.push_back(UniqueName("relay"));
  constexpr int kPerProduct = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int seq = 0; seq < kPerProduct; ++seq) {
        for (int p = 2 * w; p < 2 * w + 2; ++p)
          EXPECT_TRUE(ChangeStock(*pool_, products[p], seq).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_TRUE(Eventually([&] { return Unsent(*pool_) == 0; }, 60s));
  a.Stop();
  b.Stop();
  ExpectOncePerEventInOrder(products, kPerProduct);
  EXPECT_EQ(MetricValue(metrics_a, "mercato_events_published_total") +
                MetricValue(metrics_b, "mercato_events_published_total"),
            8 * kPerProduct);
  EXPECT_EQ(MetricValue(metrics_a, "mercato_publish_errors_total"), 0);
}

TEST_F(EventsRelayTest, NoEventWithoutItsChange) {
  const absl::Status rolled_back = pool_->Transact([&](pqxx::work& tx) -> absl::Status {
    EXPECT_TRUE(AppendToOutbox(tx, StockEvent("p-rolled-back", 1)).ok());
    return absl::FailedPreconditionError("the change failed");
  });
  EXPECT_EQ(rolled_back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(*pool_, "SELECT count(*) FROM outbox"), 0);
}

TEST_F(EventsRelayTest, SentRowsAreDeletedAfterTheRetentionUnsentOnesNever) {
  prometheus::Registry metrics;
  OutboxRelay relay(*pool_, Publisher(), metrics, FastRelay());
  const std::string product = UniqueName("retention");
  for (int seq = 0; seq < 3; ++seq) ASSERT_TRUE(ChangeStock(*pool_, product, seq).ok());
  ASSERT_EQ(relay.PublishPending().value_or(-1), 3);
  ASSERT_TRUE(ChangeStock(*pool_, product, 3).ok());
  EXPECT_EQ(DeleteSentOutboxRows(*pool_, 0s).value_or(-1), 3);
  EXPECT_EQ(Count(*pool_, "SELECT count(*) FROM outbox"), 1);
  EXPECT_EQ(Unsent(*pool_), 1);
}

// The broker is stopped for 30 s while events are written: they wait in the outbox (nothing
// is marked sent, the relay counts errors and backs off) and are all published, once and in
// order, when it returns; mercato_outbox_pending goes back to 0.
TEST_F(EventsRelayTest, EventsWaitInTheOutboxWhileTheBrokerIsDown) {
  prometheus::Registry metrics;
  OutboxRelay relay(*pool_, Publisher(2s), metrics, FastRelay());
  relay.Start();
  KafkaServer::Shared()->Stop();
  const auto outage_end = std::chrono::steady_clock::now() + 30s;
  const std::vector<std::string> products = {UniqueName("outage"), UniqueName("outage")};
  constexpr int kPerProduct = 20;
  for (int seq = 0; seq < kPerProduct; ++seq) {
    for (const auto& p : products) ASSERT_TRUE(ChangeStock(*pool_, p, seq).ok());
  }
  const auto pending = [&] { return MetricValue(metrics, "mercato_outbox_pending"); };
  EXPECT_TRUE(Eventually([&] { return pending() == 2 * kPerProduct; }, 10s));
  EXPECT_TRUE(Eventually(
      [&] { return MetricValue(metrics, "mercato_publish_errors_total") >= 2 * kPerProduct; },
      15s));
  while (std::chrono::steady_clock::now() < outage_end) {
    ASSERT_EQ(Unsent(*pool_), 2 * kPerProduct);  // nothing marked sent without the broker
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_GT(MetricValue(metrics, "mercato_outbox_oldest_age_seconds"), 15);
  ASSERT_TRUE(KafkaServer::Shared()->Restart().ok());
  EXPECT_TRUE(Eventually([&] { return Unsent(*pool_) == 0 && pending() == 0; }, 60s));
  relay.Stop();
  EXPECT_EQ(MetricValue(metrics, "mercato_outbox_oldest_age_seconds"), 0);
  EXPECT_EQ(MetricValue(metrics, "mercato_events_published_total"), 2 * kPerProduct);
  ExpectOncePerEventInOrder(products, kPerProduct);
}

// A relay process is killed (SIGKILL) after the broker acknowledged a batch and before it
// marked the rows sent: the next relay publishes them again, and a consumer applies each
// event once (its inbox skips the second copy).
TEST_F(EventsRelayTest, ARelayKilledBeforeMarkingSentPublishesAgainAndEffectsHappenOnce) {
  const std::string url = testing::PostgresServer::Shared()->Url("events_relay");
  const std::map<std::string, std::string> env = {
      {"MERCATO_DATABASE_URL", url}, {"MERCATO_KAFKA_BROKERS", KafkaServer::Shared()->brokers()}};
  const std::string product = UniqueName("killed");
  constexpr int kEvents = 10;
  for (int seq = 0; seq < kEvents; ++seq) ASSERT_TRUE(ChangeStock(*pool_, product, seq).ok());

  auto crash_env = env;
  crash_env["MERCATO_FAULT_CRASH_AT"] = "events.relay.after_publish";
  testing::ChildProcess crashing(MERCATO_EVENTS_RELAY_RUNNER, crash_env, "relay-runner");
  ASSERT_TRUE(crashing.Start().ok());
  const int crashed = crashing.Wait(60s);
  ASSERT_TRUE(WIFSIGNALED(crashed) && WTERMSIG(crashed) == SIGKILL) << crashing.ReadLog();
  EXPECT_EQ(Unsent(*pool_), kEvents);
  EXPECT_EQ(EventsOf(kCatalogTopic, {product}).size(), kEvents);  // published, not marked

  testing::ChildProcess relay(MERCATO_EVENTS_RELAY_RUNNER, env, "relay-runner");
  ASSERT_TRUE(relay.Start().ok());
  const int finished = relay.Wait(60s);
  ASSERT_TRUE(WIFEXITED(finished) && WEXITSTATUS(finished) == 0) << relay.ReadLog();
  EXPECT_EQ(Unsent(*pool_), 0);
  EXPECT_EQ(EventsOf(kCatalogTopic, {product}).size(), 2 * kEvents);  // each one twice

  prometheus::Registry metrics;
  const std::string group = UniqueName("inbox-test");
  auto consumer = EventConsumer::Create(
      {.kafka = {.brokers = KafkaServer::Shared()->brokers(), .client_id = "inbox-test"},
       .group = group,
       .topics = {kCatalogTopic}},
      *pool_, RecordEffect, metrics);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  const auto duplicates = [&] {
    return MetricValue(metrics, "mercato_events_consumed_total", {{"outcome", "duplicate"}});
  };
  const std::string ours = absl::StrCat("aggregate_id = '", product, "'");
  ASSERT_TRUE(Eventually(
      [&] {
        (*consumer)->PollOnce(100ms).IgnoreError();
        return Count(*pool_, "SELECT count(*) FROM effects WHERE " + ours) == kEvents &&
               duplicates() >= kEvents;
      },
      60s));
  while ((*consumer)->PollOnce(1s).value_or(false)) {
  }
  (*consumer)->Stop();
  EXPECT_EQ(Count(*pool_, "SELECT count(*) FROM effects WHERE " + ours), kEvents);
  EXPECT_EQ(Count(*pool_, "SELECT count(DISTINCT event_id) FROM effects WHERE " + ours), kEvents);
  EXPECT_EQ(Count(*pool_, absl::StrCat("SELECT count(*) FROM inbox WHERE consumer_group = '", group,
                                       "' AND event_id IN (SELECT event_id FROM effects"
                                       " WHERE ",
                                       ours, ")")),
            kEvents);
}

}  // namespace
}  // namespace mercato::events
