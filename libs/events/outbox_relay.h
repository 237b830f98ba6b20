// Publishes a service's outbox (outbox.h) to Kafka: every unsent row, in id order, through an
// idempotent producer; a row is marked sent only after the broker acknowledged it. While the
// broker is down the rows wait and the relay retries with exponential backoff.
//
//   events::OutboxRelay relay(*pool, std::move(*publisher), metrics.registry(), {});
//   relay.Start();   // background: publish every poll_interval, sweep every sweep_interval
//   ...
//   relay.Stop();
//
// Several replicas of a service share one database and so one outbox: each pass runs in one
// transaction that first takes pg_try_advisory_xact_lock(kOutboxRelayLock); the replica that
// gets it publishes, the others skip the pass. One publisher at a time keeps the per-aggregate
// order; the lock goes with the transaction, so a replica that dies hands over at once.
//
// Delivery is at least once: a relay killed after the broker's acknowledgement and before its
// commit publishes those rows again on the next pass (consumers deduplicate by event id).
// Metrics: mercato_outbox_pending, mercato_outbox_oldest_age_seconds,
// mercato_events_published_total{topic}, mercato_publish_errors_total.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/periodic_task.h"
#include "db/pg_pool.h"
#include "events/kafka.h"

namespace mercato::events {

struct OutboxRow;  // outbox_relay.cc

// The advisory lock that makes one relay per database the publisher.
inline constexpr int64_t kOutboxRelayLock = 0x6d6572636f627872;  // "mercobxr"

struct OutboxRelayOptions {
  std::chrono::milliseconds poll_interval{250};
  int batch_size = 200;
  // Backoff after a failed pass: initial, doubling up to max.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // Sent rows are deleted this long after they were sent.
  std::chrono::seconds retention{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(10)};
};

// Which rows of a published batch may be marked sent: those acknowledged with no earlier row
// of the same key failing in the batch (that one is retried first, and its successors after
// it, so that a key's order holds). `keys` and `acks` are in publication order.
std::vector<bool> SettledInKeyOrder(const std::vector<std::string>& keys,
                                    const std::vector<absl::Status>& acks);

// The pause after `failures` consecutive failed passes (1 = the first).
std::chrono::milliseconds RelayBackoff(int failures, const OutboxRelayOptions& options);

class OutboxRelay {
 public:
  // A relay publishing through a new Kafka producer (NewKafkaPublisher(kafka)). The producer
  // connects in the background: a broker that is down at start-up is retried like later.
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Create(PgPool& pool,
                                                             const KafkaOptions& kafka,
                                                             prometheus::Registry& registry,
                                                             OutboxRelayOptions options = {});

  OutboxRelay(PgPool& pool, EventPublisherPtr publisher, prometheus::Registry& registry,
              OutboxRelayOptions options = {});
  ~OutboxRelay();  // Stop()

  void Start();
  // Waits for the pass in progress, which gives up waiting for the broker at once (its
  // unacknowledged rows stay unsent, published by the next relay): a service stopping while
  // the broker is away is not held for the delivery timeout.
  void Stop();

  // One publishing pass, as the background thread runs it: batch after batch until nothing is
  // pending, a record fails (UNAVAILABLE; the rest waits for the next pass) or another replica
  // holds the lock (0). Returns how many rows were marked sent.
  absl::StatusOr<int> PublishPending();
  // Updates mercato_outbox_pending and mercato_outbox_oldest_age_seconds.
  absl::Status RefreshGauges();
  // Deletes rows sent longer ago than the retention; returns how many.
  absl::StatusOr<int64_t> SweepSent();

 private:
  absl::Status Pass();
  absl::StatusOr<int> PublishBatch(bool* more);
  absl::Status Settle(pqxx::work& tx, const std::vector<OutboxRow>& rows,
                      const std::vector<absl::Status>& acks, int* sent);

  PgPool& pool_;
  EventPublisherPtr publisher_;
  const OutboxRelayOptions options_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Counter& errors_;
  prometheus::Gauge& pending_;
  prometheus::Gauge& oldest_age_;
  absl::Mutex mu_;  // one pass at a time (the background thread and direct callers)
  int failures_ = 0;
  std::chrono::steady_clock::time_point retry_at_{};
  std::unique_ptr<PeriodicTask> publisher_task_;
  std::unique_ptr<PeriodicTask> sweeper_task_;
};

}  // namespace mercato::events
