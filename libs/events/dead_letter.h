// Dead letters: an event a consumer group gave up on (its handler failed max_attempts times,
// or the record is not an Envelope) goes to mercato.deadletter.v1 unchanged (same key and
// value, its own headers) plus headers saying who gave up, why and where it came from:
//
//   dlq.group        the consumer group            dlq.error     the handler's last error
//   dlq.topic        the original topic            dlq.attempts  how often it was tried
//   dlq.partition    the original partition        dlq.offset    the original offset
//
// After the cause is fixed, ReplayDeadLetters (`scripts/events replay`) publishes them again to
// their original topics, where the consumer applies each once: every group's inbox remembers
// what it applied, so the groups that had applied an event skip it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "events/kafka.h"

namespace mercato::events {

inline constexpr char kDeadLetterGroupHeader[] = "dlq.group";
inline constexpr char kDeadLetterErrorHeader[] = "dlq.error";
inline constexpr char kDeadLetterTopicHeader[] = "dlq.topic";
inline constexpr char kDeadLetterPartitionHeader[] = "dlq.partition";
inline constexpr char kDeadLetterOffsetHeader[] = "dlq.offset";
inline constexpr char kDeadLetterAttemptsHeader[] = "dlq.attempts";
// Set on a replayed record: "<dead-letter topic>/<partition>/<offset>" it was replayed from.
inline constexpr char kReplayedFromHeader[] = "replayed_from";

struct DeadLetter {
  std::string group;
  std::string error;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int attempts = 0;
};

// The dead-letter record for `original`, to publish to `dead_letter_topic`.
OutgoingRecord MakeDeadLetterRecord(const IncomingRecord& original, const DeadLetter& why,
                                    const std::string& dead_letter_topic);

// The dead-letter headers of a record read from the dead-letter topic; INVALID_ARGUMENT when
// they are missing.
absl::StatusOr<DeadLetter> ParseDeadLetter(const IncomingRecord& record);

// The record that replays `dead` (read from the dead-letter topic) on its original topic:
// original key, value and headers, without the dlq.* ones, with replayed_from.
absl::StatusOr<OutgoingRecord> MakeReplayRecord(const IncomingRecord& dead);

struct ReplayFilter {
  std::string group;     // only this consumer group's dead letters ("" = all)
  std::string event_id;  // only this event ("" = all)
  bool dry_run = false;  // list, publish nothing
};

// Reads the whole dead-letter topic (up to its end when called) and republishes every dead
// letter matching `filter` through `publisher`. `on_each` sees each match. Returns how many
// matched (and, unless dry_run, were acknowledged); an unacknowledged one fails the call.
absl::StatusOr<int> ReplayDeadLetters(
    const std::string& brokers, const std::string& dead_letter_topic, const ReplayFilter& filter,
    EventPublisher& publisher,
    const std::function<void(const IncomingRecord&, const DeadLetter&)>& on_each = nullptr);

}  // namespace mercato::events
