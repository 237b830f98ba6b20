#include "events/consumer.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/logging.h"
#include "events/dead_letter.h"
#include "events/outbox.h"

namespace mercato::events {
namespace {

using Clock = std::chrono::steady_clock;

const char* OutcomeName(int outcome) {
  static const char* const names[] = {"applied", "duplicate", "skipped", "dead_lettered"};
  return names[outcome];
}

// The event's trace, continued for the handler's logs and outgoing calls.
CallContext TraceOf(const v1::Envelope& event) {
  CallContext context;
  if (IsValidTraceparent(event.traceparent())) {
    context.traceparent = ChildTraceparent(event.traceparent());
    context.trace_id = TraceIdOf(event.traceparent());
  }
  context.request_id = event.event_id();
  return context;
}

std::vector<RdKafka::TopicPartition*> ToTopicPartitions(
    const std::map<std::pair<std::string, int32_t>, int64_t>& offsets) {
  std::vector<RdKafka::TopicPartition*> out;
  for (const auto& [tp, offset] : offsets) {
    out.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
  return out;
}

}  // namespace

bool IsTransientError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

// Commits what was applied of the partitions taken away, before another member gets them.
class EventConsumer::Rebalance : public RdKafka::RebalanceCb {
 public:
  explicit Rebalance(EventConsumer* owner) : owner_(owner) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->assign(partitions);
      return;
    }
    std::vector<PartitionKey> revoked;
    for (const auto* tp : partitions) revoked.emplace_back(tp->topic(), tp->partition());
    owner_->CommitPositions(revoked);
    owner_->ForgetPartitions(revoked);
    consumer->unassign();
  }

 private:
  EventConsumer* owner_;
};

EventConsumer::EventConsumer(ConsumerOptions options, PgPool& pool, EventHandler handler,
                             prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      handler_(std::move(handler)),
      consumed_(prometheus::BuildCounter()
                    .Name("mercato_events_consumed_total")
                    .Help("Events a consumer group settled, by outcome")
                    .Register(registry)),
      failures_(prometheus::BuildCounter()
                    .Name("mercato_events_handler_failures_total")
                    .Help("Handler failures (each retried, or dead-lettered at the last)")
                    .Register(registry)
                    .Add({{"group", options_.group}})),
      rebalance_(std::make_unique<Rebalance>(this)) {}

absl::StatusOr<std::unique_ptr<EventConsumer>> EventConsumer::Create(
    ConsumerOptions options, PgPool& pool, EventHandler handler, prometheus::Registry& registry) {
  if (options.group.empty()) return absl::InvalidArgumentError("consumer group is empty");
  if (options.topics.empty()) return absl::InvalidArgumentError("no topics to consume");
  std::unique_ptr<EventConsumer> consumer(
      new EventConsumer(std::move(options), pool, std::move(handler), registry));
  if (absl::Status s = consumer->Connect(); !s.ok()) return s;
  return consumer;
}

absl::Status EventConsumer::Connect() {
  auto conf = MakeConf(options_.kafka, {{"group.id", options_.group},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"auto.offset.reset", options_.auto_offset_reset},
                                        {"session.timeout.ms", "10000"},
                                        {"reconnect.backoff.max.ms", "2000"}});
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(rebalance_.get()), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer_) return absl::InternalError(absl::StrCat("kafka consumer: ", error));
  KafkaOptions dlq = options_.kafka;
  dlq.client_id = absl::StrCat(options_.kafka.client_id, "-deadletter");
  auto publisher = NewKafkaPublisher(dlq);
  if (!publisher.ok()) return publisher.status();
  dead_letters_ = std::move(*publisher);
  const RdKafka::ErrorCode err = consumer_->subscribe(options_.topics);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("subscribe: ", RdKafka::err2str(err)));
  }
  return absl::OkStatus();
}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  task_ = std::make_unique<PeriodicTask>(
      absl::StrCat("consumer ", options_.group), std::chrono::milliseconds(0),
      [this] { return PollOnce(std::chrono::milliseconds(200)).status(); });
  sweeper_ = std::make_unique<PeriodicTask>(
      absl::StrCat("inbox retention ", options_.group), options_.sweep_interval,
      [this] { return DeleteOldInboxRows(pool_, options_.inbox_retention).status(); });
  task_->Start();
  sweeper_->Start();
}

void EventConsumer::Stop() {
  stopping_ = true;
  if (task_) task_->Stop();
  if (sweeper_) sweeper_->Stop();
  if (closed_ || !consumer_) return;
  CommitPositions({});
  consumer_->close();  // leaves the group: its partitions go to the others at once
  closed_ = true;
}

absl::StatusOr<bool> EventConsumer::PollOnce(std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(timeout.count())));
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR:
      Handle(ToIncomingRecord(*message));
      return true;
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return false;
    default:
      return absl::UnavailableError(absl::StrCat("consume: ", message->errstr()));
  }
}

void EventConsumer::Handle(const IncomingRecord& record) {
  const auto key = std::make_pair(PartitionKey(record.topic, record.partition), record.offset);
  Attempts& attempts = attempts_[key];
  const Outcome outcome = Process(record, attempts);
  if (outcome == Outcome::kRetry) {
    RetryLater(record, attempts);
    return;
  }
  attempts_.erase(key);
  Commit(record);
  Count(outcome);
}

EventConsumer::Outcome EventConsumer::Process(const IncomingRecord& record, Attempts& attempts) {
  v1::Envelope event;
  if (!event.ParseFromString(record.value) || !IsUuid(event.event_id())) {
    return DeadLetter(record, "not a mercato.events.v1.Envelope with an event id", 1);
  }
  if (event.payload_case() == v1::Envelope::PAYLOAD_NOT_SET) return Outcome::kSkipped;
  auto applied = Apply(event, record);
  if (applied.ok()) return *applied ? Outcome::kApplied : Outcome::kDuplicate;
  failures_.Increment();
  ++attempts.failures;
  spdlog::warn("consumer {}: event {} ({}) failed (attempt {}): {}", options_.group,
               event.event_id(), event.type(), attempts.failures, applied.status());
  if (IsTransientError(applied.status())) return Outcome::kRetry;
  if (++attempts.permanent < options_.max_attempts) return Outcome::kRetry;
  return DeadLetter(record, std::string(applied.status().ToString()), attempts.permanent);
}

// True when applied now, false when the inbox says it was applied before.
absl::StatusOr<bool> EventConsumer::Apply(const v1::Envelope& event, const IncomingRecord& record) {
  ScopedCallContext trace(TraceOf(event));
  bool fresh = false;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    fresh = tx.exec_params(
                  "INSERT INTO inbox (consumer_group, event_id, topic, kafka_partition,"
                  " kafka_offset) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                  options_.group, event.event_id(), record.topic, record.partition, record.offset)
                .affected_rows() == 1;
    return fresh ? handler_(event, tx) : absl::OkStatus();
  });
  if (!status.ok()) return status;
  return fresh;
}

EventConsumer::Outcome EventConsumer::DeadLetter(const IncomingRecord& record,
                                                 const std::string& error, int attempts) {
  const events::DeadLetter why{options_.group,   error,         record.topic,
                               record.partition, record.offset, attempts};
  const auto acks =
      dead_letters_->PublishAll({MakeDeadLetterRecord(record, why, options_.dead_letter_topic)});
  if (!acks[0].ok()) {
    spdlog::warn("consumer {}: cannot dead-letter {}/{}/{}: {}", options_.group, record.topic,
                 record.partition, record.offset, acks[0]);
    return Outcome::kRetry;  // nothing is skipped unless the dead letter is safe
  }
  spdlog::error("consumer {}: {}/{}/{} dead-lettered after {} attempts: {}", options_.group,
                record.topic, record.partition, record.offset, attempts, error);
  return Outcome::kDeadLettered;
}

// Seeks back to the record (the next poll fetches it again), after a pause that doubles with
// every failure. Stop() cuts the pause short; the record is then redelivered after a restart.
void EventConsumer::RetryLater(const IncomingRecord& record, const Attempts& attempts) {
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(record.topic, record.partition, record.offset));
  consumer_->seek(*tp, 5000);
  auto pause = options_.retry_backoff;
  for (int i = 1; i < attempts.failures && pause < options_.max_retry_backoff; ++i) pause *= 2;
  const auto until = Clock::now() + std::min(pause, options_.max_retry_backoff);
  while (!stopping_ && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void EventConsumer::Commit(const IncomingRecord& record) {
  const PartitionKey tp(record.topic, record.partition);
  positions_[tp] = record.offset + 1;
  std::vector<RdKafka::TopicPartition*> offsets = ToTopicPartitions({{tp, record.offset + 1}});
  consumer_->commitAsync(offsets);  // Stop() and revocations commit synchronously
  RdKafka::TopicPartition::destroy(offsets);
}

void EventConsumer::CommitPositions(const std::vector<PartitionKey>& partitions) {
  std::map<PartitionKey, int64_t> selected;
  for (const auto& [tp, offset] : positions_) {
    if (partitions.empty() ||
        std::find(partitions.begin(), partitions.end(), tp) != partitions.end()) {
      selected[tp] = offset;
    }
  }
  if (selected.empty()) return;
  std::vector<RdKafka::TopicPartition*> offsets = ToTopicPartitions(selected);
  const RdKafka::ErrorCode err = consumer_->commitSync(offsets);
  if (err != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("consumer {}: committing offsets failed: {}", options_.group,
                 RdKafka::err2str(err));
  }
  RdKafka::TopicPartition::destroy(offsets);
}

void EventConsumer::ForgetPartitions(const std::vector<PartitionKey>& partitions) {
  for (const PartitionKey& tp : partitions) {
    positions_.erase(tp);
    for (auto it = attempts_.begin(); it != attempts_.end();) {
      it = it->first.first == tp ? attempts_.erase(it) : std::next(it);
    }
  }
}

void EventConsumer::Count(Outcome outcome) {
  consumed_.Add({{"group", options_.group}, {"outcome", OutcomeName(static_cast<int>(outcome))}})
      .Increment();
}

}  // namespace mercato::events
