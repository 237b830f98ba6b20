#include "events/dead_letter.h"

#include <librdkafka/rdkafkacpp.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "events/contracts.h"

namespace mercato::events {
namespace {

using Clock = std::chrono::steady_clock;

bool IsDeadLetterHeader(const std::string& name) { return absl::StartsWith(name, "dlq."); }

// A consumer that reads partitions by assignment (no group membership, nothing committed).
absl::StatusOr<std::unique_ptr<RdKafka::KafkaConsumer>> NewReader(const std::string& brokers) {
  KafkaOptions options{.brokers = brokers, .client_id = "mercato-replay"};
  auto conf = MakeConf(options, {{"group.id", "mercato-replay-" + NewUuid()},
                                 {"enable.auto.commit", "false"},
                                 {"enable.partition.eof", "true"}});
  if (!conf.ok()) return conf.status();
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer) return absl::InternalError(absl::StrCat("kafka consumer: ", error));
  return consumer;
}

// Every record of `topic` below the given high watermarks, in order per partition.
absl::StatusOr<std::vector<IncomingRecord>> ReadUpTo(const std::string& brokers,
                                                     const std::string& topic,
                                                     std::map<int, int64_t> ends) {
  auto consumer = NewReader(brokers);
  if (!consumer.ok()) return consumer.status();
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& [partition, end] : ends) {
    if (end > 0) {
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, partition, RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  (*consumer)->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  std::vector<IncomingRecord> out;
  std::map<int, int64_t> next;  // the next offset to read, per partition
  auto done = [&] {
    for (const auto& [p, end] : ends) {
      if (next[p] < end) return false;
    }
    return true;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (!done() && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m((*consumer)->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    next[m->partition()] = m->offset() + 1;
    if (m->offset() < ends[m->partition()]) out.push_back(ToIncomingRecord(*m));
  }
  (*consumer)->close();
  if (!done()) return absl::DeadlineExceededError(absl::StrCat("could not read all of ", topic));
  return out;
}

bool Matches(const ReplayFilter& filter, const IncomingRecord& r, const DeadLetter& d) {
  if (!filter.group.empty() && filter.group != d.group) return false;
  return filter.event_id.empty() || filter.event_id == r.Header(kEventIdHeader);
}

}  // namespace

OutgoingRecord MakeDeadLetterRecord(const IncomingRecord& original, const DeadLetter& why,
                                    const std::string& dead_letter_topic) {
  OutgoingRecord r{dead_letter_topic, original.key, original.value, {}};
  for (const auto& header : original.headers) {
    if (!IsDeadLetterHeader(header.first)) r.headers.push_back(header);
  }
  r.headers.emplace_back(kDeadLetterGroupHeader, why.group);
  r.headers.emplace_back(kDeadLetterErrorHeader, why.error);
  r.headers.emplace_back(kDeadLetterTopicHeader, why.topic);
  r.headers.emplace_back(kDeadLetterPartitionHeader, absl::StrCat(why.partition));
  r.headers.emplace_back(kDeadLetterOffsetHeader, absl::StrCat(why.offset));
  r.headers.emplace_back(kDeadLetterAttemptsHeader, absl::StrCat(why.attempts));
  return r;
}

absl::StatusOr<DeadLetter> ParseDeadLetter(const IncomingRecord& record) {
  DeadLetter d;
  d.group = record.Header(kDeadLetterGroupHeader);
  d.error = record.Header(kDeadLetterErrorHeader);
  d.topic = record.Header(kDeadLetterTopicHeader);
  if (d.group.empty() || d.topic.empty() ||
      !absl::SimpleAtoi(record.Header(kDeadLetterPartitionHeader), &d.partition) ||
      !absl::SimpleAtoi(record.Header(kDeadLetterOffsetHeader), &d.offset) ||
      !absl::SimpleAtoi(record.Header(kDeadLetterAttemptsHeader), &d.attempts)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a dead letter: ", record.topic, "/", record.partition, "/",
                     record.offset));
  }
  return d;
}

absl::StatusOr<OutgoingRecord> MakeReplayRecord(const IncomingRecord& dead) {
  auto why = ParseDeadLetter(dead);
  if (!why.ok()) return why.status();
  OutgoingRecord r{why->topic, dead.key, dead.value, {}};
  for (const auto& header : dead.headers) {
    if (!IsDeadLetterHeader(header.first) && header.first != kReplayedFromHeader) {
      r.headers.push_back(header);
    }
  }
  r.headers.emplace_back(kReplayedFromHeader,
                         absl::StrCat(dead.topic, "/", dead.partition, "/", dead.offset));
  return r;
}

absl::StatusOr<int> ReplayDeadLetters(
    const std::string& brokers, const std::string& dead_letter_topic, const ReplayFilter& filter,
    EventPublisher& publisher,
    const std::function<void(const IncomingRecord&, const DeadLetter&)>& on_each) {
  auto ends = HighWatermarks(brokers, dead_letter_topic, std::chrono::seconds(10));
  if (!ends.ok()) return ends.status();
  auto records = ReadUpTo(brokers, dead_letter_topic, *ends);
  if (!records.ok()) return records.status();
  std::vector<OutgoingRecord> replays;
  for (const IncomingRecord& dead : *records) {
    auto why = ParseDeadLetter(dead);
    if (!why.ok() || !Matches(filter, dead, *why)) continue;
    if (on_each) on_each(dead, *why);
    replays.push_back(*MakeReplayRecord(dead));
  }
  if (filter.dry_run || replays.empty()) return static_cast<int>(replays.size());
  for (const absl::Status& ack : publisher.PublishAll(replays)) {
    if (!ack.ok()) return ack;
  }
  return static_cast<int>(replays.size());
}

}  // namespace mercato::events
