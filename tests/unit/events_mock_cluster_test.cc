// The Kafka publisher against librdkafka's in-process mock cluster: a record is reported OK
// only once the broker acknowledged it, and a broker that is down yields an error per record
// within the delivery timeout (never a silent success, never a hang).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>

#include "events/kafka.h"

namespace mercato::events {
namespace {

// A mock cluster of one broker, owned by a handle of its own.
class MockCluster {
 public:
  MockCluster() {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    cluster_ = rd_kafka_handle_mock_cluster(handle_);
    rd_kafka_mock_topic_create(cluster_, "mock.topic", 3, 1);
  }
  ~MockCluster() { rd_kafka_destroy(handle_); }
  std::string brokers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void SetBrokerDown() { rd_kafka_mock_broker_set_down(cluster_, 1); }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

std::vector<OutgoingRecord> Records(int n) {
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < n; ++i) {
    records.push_back({"mock.topic", "key-" + std::to_string(i % 3), "value", {{"h", "v"}}});
  }
  return records;
}

TEST(KafkaPublisherMock, EveryRecordIsAcknowledged) {
  MockCluster cluster;
  auto publisher = NewKafkaPublisher({.brokers = cluster.brokers(), .client_id = "unit"});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  const auto acks = (*publisher)->PublishAll(Records(25));
  ASSERT_EQ(acks.size(), 25u);
  for (const auto& ack : acks) EXPECT_TRUE(ack.ok()) << ack;
}

TEST(KafkaPublisherMock, ABrokerDownFailsEveryRecordWithinTheDeliveryTimeout) {
  MockCluster cluster;
  auto publisher = NewKafkaPublisher({.brokers = cluster.brokers(),
                                      .client_id = "unit",
                                      .delivery_timeout = std::chrono::milliseconds(1500)});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  ASSERT_TRUE((*publisher)->PublishAll(Records(1))[0].ok());
  cluster.SetBrokerDown();
  const auto start = std::chrono::steady_clock::now();
  const auto acks = (*publisher)->PublishAll(Records(10));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(acks.size(), 10u);
  for (const auto& ack : acks) EXPECT_EQ(ack.code(), absl::StatusCode::kUnavailable) << ack;
  EXPECT_LT(took, std::chrono::milliseconds(1500) + std::chrono::seconds(5));
}

TEST(KafkaPublisherMock, UnknownSettingsAreRefusedWithTheirName) {
  auto publisher =
      NewKafkaPublisher({.brokers = "127.0.0.1:1", .settings = {{"no.such.setting", "1"}}});
  ASSERT_EQ(publisher.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(publisher.status().message().find("no.such.setting"), std::string::npos);
}

}  // namespace
}  // namespace mercato::events
