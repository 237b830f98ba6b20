#include "events/outbox_relay.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fault_injection.h"
#include "common/logging.h"
#include "events/contracts.h"
#include "events/outbox.h"

namespace mercato::events {

using Clock = std::chrono::steady_clock;

struct OutboxRow {
  int64_t id;
  std::string topic;
  std::string key;
  OutgoingRecord record;
};

namespace {

std::vector<OutboxRow> LoadUnsent(pqxx::work& tx, int limit);

std::string IdArray(const std::vector<int64_t>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

OutgoingRecord ToRecord(const pqxx::row& r) {
  OutgoingRecord record;
  record.topic = r["topic"].as<std::string>();
  record.key = r["key"].as<std::string>();
  const pqxx::binarystring payload(r["payload"]);
  record.value = payload.str();
  record.headers = {{kEventIdHeader, r["event_id"].as<std::string>()},
                    {kTypeHeader, r["event_type"].as<std::string>()},
                    {kContentTypeHeader, kContentType}};
  const std::string traceparent = r["traceparent"].as<std::string>();
  if (!traceparent.empty()) record.headers.emplace_back(kTraceparentHeader, traceparent);
  return record;
}

}  // namespace

std::vector<bool> SettledInKeyOrder(const std::vector<std::string>& keys,
                                    const std::vector<absl::Status>& acks) {
  std::vector<bool> settled(keys.size(), false);
  std::set<std::string> blocked;  // keys with a failed record earlier in the batch
  for (size_t i = 0; i < keys.size(); ++i) {
    if (blocked.count(keys[i])) continue;
    if (acks[i].ok()) {
      settled[i] = true;
    } else {
      blocked.insert(keys[i]);
    }
  }
  return settled;
}

std::chrono::milliseconds RelayBackoff(int failures, const OutboxRelayOptions& options) {
  std::chrono::milliseconds pause = options.initial_backoff;
  for (int i = 1; i < failures && pause < options.max_backoff; ++i) pause *= 2;
  return std::min(pause, options.max_backoff);
}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Create(PgPool& pool,
                                                                 const KafkaOptions& kafka,
                                                                 prometheus::Registry& registry,
                                                                 OutboxRelayOptions options) {
  auto publisher = NewKafkaPublisher(kafka);
  if (!publisher.ok()) return publisher.status();
  return std::make_unique<OutboxRelay>(pool, *std::move(publisher), registry, options);
}

OutboxRelay::OutboxRelay(PgPool& pool, EventPublisherPtr publisher, prometheus::Registry& registry,
                         OutboxRelayOptions options)
    : pool_(pool),
      publisher_(std::move(publisher)),
      options_(options),
      published_(prometheus::BuildCounter()
                     .Name("mercato_events_published_total")
                     .Help("Outbox events the broker acknowledged, by topic")
                     .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name("mercato_publish_errors_total")
                  .Help("Outbox events the broker did not acknowledge (retried later)")
                  .Register(registry)
                  .Add({})),
      pending_(prometheus::BuildGauge()
                   .Name("mercato_outbox_pending")
                   .Help("Outbox events not yet published")
                   .Register(registry)
                   .Add({})),
      oldest_age_(prometheus::BuildGauge()
                      .Name("mercato_outbox_oldest_age_seconds")
                      .Help("Age of the oldest unpublished outbox event (0 when none)")
                      .Register(registry)
                      .Add({})) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  publisher_task_ = std::make_unique<PeriodicTask>("outbox relay", options_.poll_interval,
                                                   [this] { return Pass(); });
  sweeper_task_ = std::make_unique<PeriodicTask>("outbox retention", options_.sweep_interval,
                                                 [this] { return SweepSent().status(); });
  publisher_task_->Start();
  sweeper_task_->Start();
}

void OutboxRelay::Stop() {
  // A pass waiting for the broker gives up now; its rows stay unsent for the next relay.
  publisher_->SetInterrupted(true);
  if (publisher_task_) publisher_task_->Stop();
  if (sweeper_task_) sweeper_task_->Stop();
  publisher_->SetInterrupted(false);
}

absl::Status OutboxRelay::Pass() {
  if (Clock::now() < retry_at_) return absl::OkStatus();
  auto published = PublishPending();
  RefreshGauges().IgnoreError();  // the next pass tries again; the publishing error matters
  if (published.ok()) {
    failures_ = 0;
    return absl::OkStatus();
  }
  ++failures_;
  const auto pause = RelayBackoff(failures_, options_);
  retry_at_ = Clock::now() + pause;
  return absl::Status(
      published.status().code(),
      absl::StrCat(published.status().message(), " (next try in ", pause.count(), " ms)"));
}

absl::StatusOr<int> OutboxRelay::PublishPending() {
  absl::MutexLock lock(&mu_);
  int total = 0;
  bool more = true;
  while (more && !(publisher_task_ && publisher_task_->stopping())) {
    auto sent = PublishBatch(&more);
    if (!sent.ok()) return sent.status();
    total += *sent;
  }
  return total;
}

absl::StatusOr<int> OutboxRelay::PublishBatch(bool* more) {
  int sent = 0;
  size_t failed = 0;
  *more = false;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    sent = 0;
    failed = 0;
    if (!tx.exec_params1("SELECT pg_try_advisory_xact_lock($1)", kOutboxRelayLock)[0].as<bool>()) {
      return absl::OkStatus();  // another replica publishes
    }
    const std::vector<OutboxRow> rows = LoadUnsent(tx, options_.batch_size);
    if (rows.empty()) return absl::OkStatus();
    std::vector<OutgoingRecord> records;
    for (const OutboxRow& row : rows) records.push_back(row.record);
    const std::vector<absl::Status> acks = publisher_->PublishAll(records);
    CrashPoint("events.relay.after_publish");  // acknowledged, not yet marked: kill -9 tests
    for (const auto& ack : acks) failed += ack.ok() ? 0 : 1;
    *more = failed == 0 && static_cast<int>(rows.size()) == options_.batch_size;
    return Settle(tx, rows, acks, &sent);
  });
  if (!status.ok()) return status;
  if (failed > 0) {
    return absl::UnavailableError(absl::StrCat(failed, " outbox events not acknowledged by Kafka"));
  }
  return sent;
}

absl::Status OutboxRelay::Settle(pqxx::work& tx, const std::vector<OutboxRow>& rows,
                                 const std::vector<absl::Status>& acks, int* sent) {
  std::vector<std::string> keys;
  for (const OutboxRow& row : rows) keys.push_back(row.key);
  const std::vector<bool> settled = SettledInKeyOrder(keys, acks);
  std::vector<int64_t> sent_ids;
  std::map<std::string, std::vector<int64_t>> failed_ids;  // by error message
  for (size_t i = 0; i < rows.size(); ++i) {
    if (settled[i]) {
      sent_ids.push_back(rows[i].id);
      published_.Add({{"topic", rows[i].topic}}).Increment();
    } else if (!acks[i].ok()) {
      failed_ids[std::string(acks[i].message())].push_back(rows[i].id);
      errors_.Increment();
    }
  }
  tx.exec_params(
      "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])",
      IdArray(sent_ids));
  for (const auto& [error, ids] : failed_ids) {
    tx.exec_params(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])",
        IdArray(ids), error);
  }
  *sent = static_cast<int>(sent_ids.size());
  return absl::OkStatus();
}

absl::Status OutboxRelay::RefreshGauges() {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    const pqxx::row r = tx.exec1(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)"
        " FROM outbox WHERE sent_at IS NULL");
    pending_.Set(r[0].as<double>());
    oldest_age_.Set(r[1].as<double>());
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> OutboxRelay::SweepSent() {
  return DeleteSentOutboxRows(pool_, options_.retention);
}

namespace {

std::vector<OutboxRow> LoadUnsent(pqxx::work& tx, int limit) {
  std::vector<OutboxRow> rows;
  const pqxx::result result = tx.exec_params(
      "SELECT id, event_id, topic, key, event_type, traceparent, payload FROM outbox"
      " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
      limit);
  for (const pqxx::row& r : result) {
    OutgoingRecord record = ToRecord(r);
    rows.push_back({r["id"].as<int64_t>(), record.topic, record.key, std::move(record)});
  }
  return rows;
}

}  // namespace

}  // namespace mercato::events
