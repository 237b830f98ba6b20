// The real fulfillment binary against a real PostgreSQL and Kafka broker and a fake checkout
// served in-process, stopped mid-stream: N OrderPaid events are produced, the worker is
// stopped with SIGTERM (it drains and exits 0) or killed with kill -9 while it works through
// them, and started again. Afterwards every order has exactly one shipment, delivered, and
// exactly one OrderShipped and one OrderDelivered event id on mercato.orders.v1 (the relay
// publishes at least once, so a record may repeat after kill -9; consumers deduplicate by
// event id). Each repeated SHIPPED call carried the tracking number stored before the first.
#include <signal.h>
#include <sys/wait.h>

#include <iostream>
#include <memory>

#include "fulfillment/postgres_fulfillment_store.h"
#include "fulfillment_test_support.h"
#include "support/grpc_server.h"
#include "support/identity.h"
#include "support/migrated_database.h"
#include "support/process.h"

namespace mercato::fulfillment {
namespace {

using testing::ChildProcess;
using testing::KafkaServer;
using namespace std::chrono_literals;

constexpr int kOrders = 40;

class FulfillmentProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = KafkaServer::Shared()->brokers();
    server_ =
        std::make_unique<testing::LocalServer>(std::initializer_list<grpc::Service*>{&checkout_});
    ASSERT_TRUE(server_->ok());
    static int databases = 0;
    database_ = "fulfillment_process_" + std::to_string(++databases);
    // Migrated here, so that the shipments can be counted before the worker first starts.
    auto db = testing::MigratedDatabase(database_, {.size = 1}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    database_url_ = db->url;
    port_ = testing::FreePort();
    env_ = testing::WithTestKeys("fulfillment",
                                 {{"MERCATO_DATABASE_URL", database_url_},
                                  {"MERCATO_KAFKA_BROKERS", brokers_},
                                  {"MERCATO_CHECKOUT_ADDR", server_->address()},
                                  {"MERCATO_GRPC_PORT", std::to_string(port_)},
                                  {"MERCATO_ADMIN_PORT", std::to_string(testing::FreePort())},
                                  {"MERCATO_RPC_TIMEOUT_MS", "1000"},
                                  {"MERCATO_FULFILLMENT_SHIP_DELAY_MS", "0"},
                                  {"MERCATO_FULFILLMENT_DELIVERY_DELAY_MS", "0"},
                                  {"MERCATO_FULFILLMENT_POLL_MS", "10"},
                                  {"MERCATO_OUTBOX_POLL_INTERVAL_MS", "20"},
                                  {"MERCATO_LOG_LEVEL", "info"}});
    auto publisher = events::NewKafkaPublisher({.brokers = brokers_, .client_id = "process-test"});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = std::move(*publisher);
  }

  std::unique_ptr<ChildProcess> StartWorker(const std::string& name) {
    auto worker = std::make_unique<ChildProcess>(testing::BinaryPath("fulfillment"), env_, name);
    EXPECT_TRUE(worker->Start().ok());
    EXPECT_TRUE(testing::WaitForGrpcHealthy("127.0.0.1:" + std::to_string(port_), 30s).ok())
        << worker->ReadLog();
    return worker;
  }

  // SIGTERM: the worker drains, leaves the group (the next member need not wait for its session
  // to end) and exits 0.
  void Terminate(ChildProcess& worker) {
    worker.Signal(SIGTERM);
    const int status = worker.Wait(30s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << worker.ReadLog();
  }

  // `count` OrderPaid events on mercato.orders.v1; returns the order ids.
  std::vector<std::string> PublishOrders(int count) {
    std::vector<std::string> orders;
    std::vector<events::OutgoingRecord> records;
    for (int i = 0; i < count; ++i) {
      orders.push_back(NewUuid());
      records.push_back(
          events::RecordOf(events::kOrdersTopic, OrderPaidEvent(orders.back(), NewUuid())));
    }
    for (const absl::Status& ack : publisher_->PublishAll(records)) EXPECT_TRUE(ack.ok()) << ack;
    return orders;
  }

  std::string Sql(const std::string& sql) {
    return testing::PostgresServer::Shared()->Psql(database_, sql);
  }
  int64_t Shipments(const std::string& where) {
    return std::stoll(Sql("SELECT count(*) FROM shipments WHERE " + where));
  }

  // Stops the worker with `signal` once it is part-way through the orders, starts it again and
  // checks the outcome.
  void StopMidStreamAndRestart(int signal_number) {
    auto worker = StartWorker("fulfillment-first");
    std::vector<std::string> orders = PublishOrders(kOrders / 2);
    ASSERT_TRUE(events::Eventually(
        [&] { return Shipments("state = 'shipped' OR state = 'delivered'") > 0; }, 60s))
        << worker->ReadLog();
    // The second half arrives as the signal does: the consumer is stopped part-way too.
    for (const std::string& order : PublishOrders(kOrders - kOrders / 2)) orders.push_back(order);
    worker->Signal(signal_number);
    const int status = worker->Wait(30s);
    if (signal_number == SIGTERM) {
      ASSERT_TRUE(WIFEXITED(status)) << status << worker->ReadLog();
      EXPECT_EQ(WEXITSTATUS(status), 0) << worker->ReadLog();
      EXPECT_NE(worker->ReadLog().find("fulfillment stopped"), std::string::npos);
    } else {
      ASSERT_TRUE(WIFSIGNALED(status)) << status;
    }
    EXPECT_NE(worker->ReadLog().find("first event handled after"), std::string::npos)
        << worker->ReadLog();
    auto second = StartWorker("fulfillment-second");
    ASSERT_TRUE(
        events::Eventually([&] { return Shipments("state = 'delivered'") == kOrders; }, 120s))
        << second->ReadLog();
    ExpectEachOrderShippedOnce(orders);
    Terminate(*second);
  }

  void ExpectEachOrderShippedOnce(const std::vector<std::string>& orders) {
    EXPECT_EQ(Shipments("true"), kOrders);
    PublishedShipments published;
    ASSERT_TRUE(events::Eventually(
        [&] {
          published = PublishedFor(orders);
          return published.delivered_ids.size() == orders.size();
        },
        60s));
    for (const std::string& order : orders) {
      EXPECT_EQ(published.shipped_ids[order].size(), 1u) << order;
      EXPECT_EQ(published.delivered_ids[order].size(), 1u) << order;
      const std::string tracking =
          Sql("SELECT tracking_number FROM shipments WHERE order_id = '" + order + "'");
      for (const auto& shipped : published.shipped[order])
        EXPECT_EQ(shipped.tracking_number(), tracking);
      for (const auto& call : checkout_.Calls(order)) {
        if (call.stage() == ck::FULFILLMENT_STAGE_SHIPPED) {
          EXPECT_EQ(call.tracking_number(), tracking);
        }
      }
    }
  }

  std::string brokers_;
  FakeCheckout checkout_;
  std::unique_ptr<testing::LocalServer> server_;
  std::string database_;
  std::string database_url_;
  int port_ = 0;
  std::map<std::string, std::string> env_;
  events::EventPublisherPtr publisher_;
};

// Not a timing assertion (those belong in docs/): the cold start to the first event handled,
// with the event already waiting, recorded as the test's properties first_event_ms (a new
// group on a new broker) and restart_first_event_ms (the group's last member left cleanly).
TEST_F(FulfillmentProcessTest, AColdStartHandlesAWaitingEventAndSaysWhen) {
  for (const char* property : {"first_event_ms", "restart_first_event_ms"}) {
    const int64_t delivered = Shipments("state = 'delivered'");
    PublishOrders(1);
    auto worker = StartWorker(property);
    ASSERT_TRUE(
        events::Eventually([&] { return Shipments("state = 'delivered'") == delivered + 1; }, 60s))
        << worker->ReadLog();
    const std::string log = worker->ReadLog();
    const std::string marker = "first event handled after ";
    const size_t at = log.find(marker);
    ASSERT_NE(at, std::string::npos) << log;
    const std::string ms = log.substr(at + marker.size(), log.find(" ms", at) - at - marker.size());
    RecordProperty(property, ms);
    std::cout << property << " " << ms << "\n";
    Terminate(*worker);
  }
}

// Not a timing assertion either: what one replica sustains, for the lag-to-replicas rule
// (docs/kubernetes.md, "Scale to zero"), recorded as consumed_per_s (OrderPaid events turned
// into shipments, the carrier held back) and delivered_per_s (the whole carrier too, checkout
// answering at once), with kBacklog events waiting when the worker starts.
TEST_F(FulfillmentProcessTest, OneReplicaWorksOffABacklogAndSaysHowFast) {
  constexpr int kBacklog = 1000;
  const auto measure = [&](const char* property, const std::string& where) {
    const int64_t before = Shipments("true");
    PublishOrders(kBacklog);
    const auto start = std::chrono::steady_clock::now();
    auto worker = StartWorker(property);
    ASSERT_TRUE(events::Eventually([&] { return Shipments(where) == before + kBacklog; }, 300s))
        << worker->ReadLog();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string per_s = std::to_string(static_cast<int>(kBacklog / seconds));
    RecordProperty(property, per_s);
    std::cout << property << " " << per_s << "\n";
    Terminate(*worker);
  };
  env_["MERCATO_FULFILLMENT_SHIP_DELAY_MS"] = "86400000";
  measure("consumed_per_s", "true");
  Sql("UPDATE shipments SET state = 'delivered'");
  env_["MERCATO_FULFILLMENT_SHIP_DELAY_MS"] = "0";
  measure("delivered_per_s", "state = 'delivered'");
}

TEST_F(FulfillmentProcessTest, SigtermMidStreamDrainsAndARestartLosesAndRepeatsNothing) {
  StopMidStreamAndRestart(SIGTERM);
}

TEST_F(FulfillmentProcessTest, KillMidStreamAndARestartLosesAndRepeatsNothing) {
  StopMidStreamAndRestart(SIGKILL);
}

}  // namespace
}  // namespace mercato::fulfillment
