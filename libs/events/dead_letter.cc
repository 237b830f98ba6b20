#include "events/dead_letter.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "events/contracts.h"

namespace mercato::events {
namespace {

bool IsDeadLetterHeader(const std::string& name) { return absl::StartsWith(name, "dlq."); }

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
    return absl::InvalidArgumentError(absl::StrCat("not a dead letter: ", record.topic, "/",
                                                   record.partition, "/", record.offset));
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
  auto records = ReadTopic(brokers, dead_letter_topic);
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
