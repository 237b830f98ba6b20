#include "support/kafka.h"

#include <signal.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mercato::testing {

std::vector<events::TopicSpec> BackboneTopics() {
  std::ifstream in(SourceDir() + "/tools/kafka/topics.txt");
  std::vector<events::TopicSpec> topics;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    events::TopicSpec spec;
    std::string retention;
    if (line.empty() || line[0] == '#' || !(fields >> spec.name >> spec.partitions >> retention)) {
      continue;
    }
    spec.config["retention.ms"] = retention;
    topics.push_back(spec);
  }
  return topics;
}

absl::StatusOr<std::unique_ptr<KafkaServer>> KafkaServer::Start() {
  std::unique_ptr<KafkaServer> kafka(new KafkaServer());
  char tmpl[] = "/tmp/mercato-test-kafka-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  kafka->dir_ = tmpl;
  kafka->port_ = FreePort();
  kafka->controller_port_ = FreePort();
  if (absl::Status s = kafka->Restart(); !s.ok()) return s;
  if (absl::Status s = events::CreateTopics(kafka->brokers(), BackboneTopics()); !s.ok()) {
    return s;
  }
  return kafka;
}

KafkaServer* KafkaServer::Shared() {
  static KafkaServer* shared = [] {
    auto kafka = Start();
    if (!kafka.ok()) {
      std::cerr << "cannot start Kafka for tests: " << kafka.status() << std::endl;
      std::abort();
    }
    KafkaServer* raw = kafka->release();
    std::atexit([] { delete shared; });
    return raw;
  }();
  return shared;
}

std::string KafkaServer::brokers() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status KafkaServer::Restart() {
  Stop();
  process_ = std::make_unique<ChildProcess>(
      SourceDir() + "/scripts/kafka", std::map<std::string, std::string>{}, "kafka",
      std::vector<std::string>{"exec", "--dir", dir_, "--port", absl::StrCat(port_),
                               "--controller-port", absl::StrCat(controller_port_)});
  if (absl::Status s = process_->Start(); !s.ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) {
      return absl::UnavailableError(
          absl::StrCat("the Kafka broker exited:\n", process_->ReadLog()));
    }
    if (events::WaitForBroker(brokers(), std::chrono::seconds(1)).ok()) return absl::OkStatus();
  }
  return absl::DeadlineExceededError(
      absl::StrCat("Kafka did not answer on ", brokers(), ":\n", process_->ReadLog()));
}

void KafkaServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  if (process_->Wait(std::chrono::seconds(30)) == -1) process_->Kill();
  process_.reset();
}

absl::Status KafkaServer::CreateTopic(const std::string& name, int partitions) {
  return events::CreateTopics(brokers(), {{.name = name, .partitions = partitions}});
}

KafkaServer::~KafkaServer() {
  if (process_) process_->Kill();  // its data goes too: no need for a clean stop
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace mercato::testing
