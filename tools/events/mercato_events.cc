// mercato-events: watch the event backbone and replay dead letters (behind scripts/events).
//
//   mercato-events tail [--brokers B] [--from-beginning] [topic...]
//       one JSON line per record, the Envelope decoded; every backbone topic by default;
//       until Ctrl-C
//   mercato-events replay [--brokers B] [--group G] [--event-id ID] [--dry-run]
//       republishes the dead letters of mercato.deadletter.v1 (of one group, or one event)
//       to their original topics; each consumer group's inbox applies an event once
//
// --brokers defaults to $MERCATO_KAFKA_BROKERS, else 127.0.0.1:59092 (the broker of make run).
#include <google/protobuf/util/json_util.h>
#include <librdkafka/rdkafkacpp.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "events/contracts.h"
#include "events/dead_letter.h"
#include "events/kafka.h"

namespace mercato::events {
namespace {

std::atomic<bool> interrupted{false};

struct Args {
  std::string command;
  std::string brokers;
  bool from_beginning = false;
  ReplayFilter filter;
  std::vector<std::string> topics;
};

int Usage() {
  std::fprintf(stderr,
               "usage: mercato-events tail [--brokers B] [--from-beginning] [topic...]\n"
               "       mercato-events replay [--brokers B] [--group G] [--event-id ID] "
               "[--dry-run]\n");
  return 2;
}

bool Parse(int argc, char** argv, Args& args) {
  if (argc < 2) return false;
  args.command = argv[1];
  const char* env = std::getenv("MERCATO_KAFKA_BROKERS");
  args.brokers = env != nullptr && *env != '\0' ? env : "127.0.0.1:59092";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--brokers" && has_value) {
      args.brokers = argv[++i];
    } else if (a == "--group" && has_value) {
      args.filter.group = argv[++i];
    } else if (a == "--event-id" && has_value) {
      args.filter.event_id = argv[++i];
    } else if (a == "--dry-run") {
      args.filter.dry_run = true;
    } else if (a == "--from-beginning") {
      args.from_beginning = true;
    } else if (a.rfind("--", 0) == 0) {
      return false;
    } else {
      args.topics.push_back(a);
    }
  }
  return args.command == "tail" || args.command == "replay";
}

// One record as a JSON line: where it is, its headers and the decoded Envelope.
std::string Describe(const IncomingRecord& r) {
  nlohmann::json line;
  line["topic"] = r.topic;
  line["partition"] = r.partition;
  line["offset"] = r.offset;
  line["key"] = r.key;
  for (const auto& [name, value] : r.headers) line["headers"][name] = value;
  v1::Envelope event;
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (event.ParseFromString(r.value) &&
      google::protobuf::util::MessageToJsonString(event, &json, options).ok()) {
    line["event"] = nlohmann::json::parse(json);
  } else {
    line["value_bytes"] = r.value.size();
  }
  return line.dump();
}

absl::StatusOr<std::unique_ptr<RdKafka::KafkaConsumer>> TailConsumer(const Args& args) {
  // A group of its own, committing nothing: watching changes no one's offsets.
  auto conf = MakeConf({.brokers = args.brokers, .client_id = "mercato-events-tail"},
                       {{"group.id", "mercato-events-tail-" + NewUuid()},
                        {"enable.auto.commit", "false"},
                        {"auto.offset.reset", args.from_beginning ? "earliest" : "latest"}});
  if (!conf.ok()) return conf.status();
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer) return absl::InternalError(error);
  const auto topics = args.topics.empty() ? AllTopics() : args.topics;
  if (consumer->subscribe(topics) != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError("cannot subscribe");
  }
  return consumer;
}

int Tail(const Args& args) {
  auto consumer = TailConsumer(args);
  if (!consumer.ok()) {
    std::cerr << "mercato-events: " << consumer.status() << std::endl;
    return 1;
  }
  while (!interrupted) {
    std::unique_ptr<RdKafka::Message> m((*consumer)->consume(200));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      std::cout << Describe(ToIncomingRecord(*m)) << std::endl;
    } else if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
      std::cerr << "mercato-events: " << m->errstr() << std::endl;
    }
  }
  (*consumer)->close();
  return 0;
}

int Replay(const Args& args) {
  auto publisher = NewKafkaPublisher({.brokers = args.brokers, .client_id = "mercato-replay"});
  if (!publisher.ok()) {
    std::cerr << "mercato-events: " << publisher.status() << std::endl;
    return 1;
  }
  auto replayed = ReplayDeadLetters(args.brokers, kDeadLetterTopic, args.filter, **publisher,
                                    [](const IncomingRecord& r, const DeadLetter& d) {
                                      std::cout << d.group << " " << r.Header(kEventIdHeader)
                                                << " from " << d.topic << "/" << d.partition << "/"
                                                << d.offset << " (" << d.attempts
                                                << " attempts): " << d.error << std::endl;
                                    });
  if (!replayed.ok()) {
    std::cerr << "mercato-events: " << replayed.status() << std::endl;
    return 1;
  }
  std::cout << (args.filter.dry_run ? "would replay " : "replayed ") << *replayed
            << " dead letter(s)" << std::endl;
  return 0;
}

}  // namespace
}  // namespace mercato::events

int main(int argc, char** argv) {
  mercato::events::Args args;
  if (!mercato::events::Parse(argc, argv, args)) return mercato::events::Usage();
  signal(SIGINT, [](int) { mercato::events::interrupted = true; });
  signal(SIGTERM, [](int) { mercato::events::interrupted = true; });
  return args.command == "tail" ? mercato::events::Tail(args) : mercato::events::Replay(args);
}
