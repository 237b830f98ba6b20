// A Kafka consumer-group member that applies each event exactly once to PostgreSQL, on top of
// Kafka's at-least-once delivery:
//
//   auto consumer = events::EventConsumer::Create(
//       {.kafka = {.brokers = brokers, .client_id = "catalog"},
//        .group = "catalog.read-model", .topics = {events::kCatalogTopic}},
//       *pool, [](const v1::Envelope& event, pqxx::work& tx) -> absl::Status {
//         ... apply the event with tx ...
//         return absl::OkStatus();   // an error rolls the effect back (and is retried)
//       },
//       metrics.registry());
//   (*consumer)->Start();  ...  (*consumer)->Stop();   // Stop commits and leaves the group
//
// Per record: the handler runs in a transaction that first inserts (group, event id) into the
// `inbox` table (InboxMigration, outbox.h); an event already there is skipped, so a redelivered
// or replayed event changes nothing. The record's offset is committed only after that
// transaction committed. A failing handler is retried (backoff, doubling) by seeking back to
// the record: errors that say "try later" (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
// RESOURCE_EXHAUSTED: the database is down, say) without limit; any other error up to
// max_attempts times, and then the record goes to the dead-letter topic (dead_letter.h) and
// the consumer moves on. A record that is not an Envelope goes there at once; an Envelope with
// a payload this build does not know is skipped (a newer producer).
//
// The handler's thread carries the event's trace (CurrentCall().traceparent continues it).
// Metrics: mercato_events_consumed_total{group,outcome} (applied, duplicate, skipped,
// dead_lettered), mercato_events_handler_failures_total{group}.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/periodic_task.h"
#include "db/pg_pool.h"
#include "events/contracts.h"
#include "events/kafka.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace mercato::events {

struct ConsumerOptions {
  KafkaOptions kafka;
  // The consumer group: every replica of a service shares it (each partition is read by one).
  std::string group;
  std::vector<std::string> topics;
  // Handler failures (other than "try later") before the event is dead-lettered.
  int max_attempts = 5;
  std::chrono::milliseconds retry_backoff{200};
  std::chrono::milliseconds max_retry_backoff{10000};
  std::string dead_letter_topic = kDeadLetterTopic;
  // Where a new group starts: "earliest" (everything retained) or "latest".
  std::string auto_offset_reset = "earliest";
  // Inbox rows are deleted this long after the event was applied (longer than any redelivery).
  std::chrono::seconds inbox_retention{std::chrono::hours(24 * 14)};
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(10)};
};

using EventHandler = std::function<absl::Status(const v1::Envelope&, pqxx::work&)>;

// Errors a handler may return that mean "the event is fine, try again later".
bool IsTransientError(const absl::Status& status);

class EventConsumer {
 public:
  static absl::StatusOr<std::unique_ptr<EventConsumer>> Create(ConsumerOptions options,
                                                               PgPool& pool, EventHandler handler,
                                                               prometheus::Registry& registry);
  ~EventConsumer();  // Stop()

  // Joins the group and consumes on a background thread.
  void Start();
  // Finishes the record in hand, commits the offsets of what was applied and leaves the group.
  void Stop();

  // Without Start(): waits up to `timeout` for one record and handles it. Returns whether one
  // was handled (a retry counts: it seeks back).
  absl::StatusOr<bool> PollOnce(std::chrono::milliseconds timeout);

 private:
  class Rebalance;  // consumer.cc: commits before partitions are taken away
  enum class Outcome { kApplied, kDuplicate, kSkipped, kDeadLettered, kRetry };
  using PartitionKey = std::pair<std::string, int32_t>;
  struct Attempts {
    int failures = 0;   // every failure: the backoff
    int permanent = 0;  // failures counted towards max_attempts
  };

  EventConsumer(ConsumerOptions options, PgPool& pool, EventHandler handler,
                prometheus::Registry& registry);
  absl::Status Connect();
  void Handle(const IncomingRecord& record);
  Outcome Process(const IncomingRecord& record, Attempts& attempts);
  absl::StatusOr<bool> Apply(const v1::Envelope& event, const IncomingRecord& record);
  Outcome DeadLetter(const IncomingRecord& record, const std::string& error, int attempts);
  void RetryLater(const IncomingRecord& record, const Attempts& attempts);
  void Commit(const IncomingRecord& record);
  void Count(Outcome outcome);
  // Synchronously commits the next offsets of the given partitions (all when empty).
  void CommitPositions(const std::vector<PartitionKey>& partitions);
  void ForgetPartitions(const std::vector<PartitionKey>& partitions);

  const ConsumerOptions options_;
  PgPool& pool_;
  const EventHandler handler_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Counter& failures_;
  std::unique_ptr<Rebalance> rebalance_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  EventPublisherPtr dead_letters_;
  std::map<PartitionKey, int64_t> positions_;  // next offset to commit, per partition
  std::map<std::pair<PartitionKey, int64_t>, Attempts> attempts_;
  std::atomic<bool> stopping_{false};
  bool closed_ = false;
  std::unique_ptr<PeriodicTask> task_;
  std::unique_ptr<PeriodicTask> sweeper_;
};

}  // namespace mercato::events
