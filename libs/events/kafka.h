// librdkafka behind absl::Status: the producer the outbox relay and the dead-letter path
// publish through, and the admin calls the tools and tests need.
//
//   auto publisher = events::NewKafkaPublisher({.brokers = "127.0.0.1:59092",
//                                               .client_id = "checkout"});
//   std::vector<absl::Status> acks = (*publisher)->PublishAll(records);  // one per record
//
// The producer is idempotent with acks=all: a record is acknowledged only once every in-sync
// replica has it, retries never duplicate or reorder it within its partition, and a record is
// reported OK only after that acknowledgement (its delivery report), never on hand-over.
// Keys are partitioned with murmur2, as the Java clients do, so every client agrees on a
// key's partition.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace RdKafka {
class Conf;
class Message;
}  // namespace RdKafka

namespace mercato::events {

struct KafkaOptions {
  // bootstrap.servers: "host:port[,host:port...]".
  std::string brokers;
  // client.id, shown in the broker's logs and metrics.
  std::string client_id = "mercato";
  // How long the producer keeps trying one record before reporting it failed
  // (message.timeout.ms). PublishAll returns within about this time.
  std::chrono::milliseconds delivery_timeout{10000};
  // Any other librdkafka property (e.g. "security.protocol"); these win over the defaults.
  std::map<std::string, std::string> settings;
};

// One record to publish.
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One record as a consumer received it.
struct IncomingRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name, or "".
  std::string Header(const std::string& name) const;
};

IncomingRecord ToIncomingRecord(const RdKafka::Message& message);

// The relay's and the dead-letter path's view of a producer (a fake in unit tests).
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Sends every record and waits for each one's delivery report: OK once the broker
  // acknowledged it, an error once the producer gave up (delivery_timeout). Returns one status
  // per record, in order. Records of one key go out in the order given.
  virtual std::vector<absl::Status> PublishAll(const std::vector<OutgoingRecord>& records) = 0;
  // While set, a PublishAll waiting for delivery reports stops waiting: the records not
  // acknowledged yet are reported failed (they may still have been delivered). For shutdown,
  // so that a process stopping while the broker is away need not wait delivery_timeout.
  virtual void SetInterrupted(bool interrupted) {}
};
using EventPublisherPtr = std::unique_ptr<EventPublisher>;

absl::StatusOr<EventPublisherPtr> NewKafkaPublisher(const KafkaOptions& options);

// A librdkafka configuration: `defaults`, then options.brokers / client_id, then
// options.settings. INVALID_ARGUMENT naming the property librdkafka refused.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const KafkaOptions& options, const std::map<std::string, std::string>& defaults);

struct TopicSpec {
  std::string name;
  int partitions = 3;
  std::map<std::string, std::string> config;  // e.g. {"retention.ms", "604800000"}
};

// Creates the topics that do not exist yet (replication factor 1: the local broker; a real
// cluster's topics are made by its operator). OK when they all exist afterwards.
absl::Status CreateTopics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Polls the cluster's metadata until a broker answers, or DEADLINE_EXCEEDED.
absl::Status WaitForBroker(const std::string& brokers, std::chrono::milliseconds timeout);

// The partitions of `topic` and, for each, its high watermark (the next offset to be
// written). NOT_FOUND when the topic does not exist.
absl::StatusOr<std::map<int, int64_t>> HighWatermarks(const std::string& brokers,
                                                      const std::string& topic,
                                                      std::chrono::milliseconds timeout);

// Every record of `topic` from its beginning up to its end at the time of the call, in order
// per partition. Reads by assignment: joins no group, commits nothing.
absl::StatusOr<std::vector<IncomingRecord>> ReadTopic(
    const std::string& brokers, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace mercato::events
