// Test support: a private Apache Kafka broker (scripts/kafka: KRaft, one node) on free ports,
// for one test binary, with the backbone's topics (tools/kafka/topics.txt) created. Its start
// costs a JVM (~5 s): one broker per test binary, shared by its tests.
//
//   KafkaServer* kafka = KafkaServer::Shared();
//   std::string brokers = kafka->brokers();          // 127.0.0.1:<port>
//   kafka->Stop(); ... kafka->Restart();              // the broker down, then back with its data
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/kafka.h"
#include "support/process.h"

namespace mercato::testing {

class KafkaServer {
 public:
  // Formats a data directory and starts the broker. Fails with the broker's log when it
  // does not answer within 90 s.
  static absl::StatusOr<std::unique_ptr<KafkaServer>> Start();
  // One broker per test process, started on first use and stopped at exit; aborts the test
  // binary with a clear message when it cannot start.
  static KafkaServer* Shared();
  ~KafkaServer();

  int port() const { return port_; }
  std::string brokers() const;
  // Stops the broker cleanly (SIGTERM, as an operator would) and starts it again on the same
  // ports, with its data.
  void Stop();
  absl::Status Restart();
  // Topics of the test's own (replication factor 1).
  absl::Status CreateTopic(const std::string& name, int partitions);

 private:
  KafkaServer() = default;
  std::string dir_;
  int port_ = 0;
  int controller_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// The topics of tools/kafka/topics.txt: name, partitions, retention.ms.
std::vector<events::TopicSpec> BackboneTopics();

}  // namespace mercato::testing
