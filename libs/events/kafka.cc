#include "events/kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"

namespace mercato::events {
namespace {

using Clock = std::chrono::steady_clock;

int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// librdkafka's errors and logs into ours. Connection failures while a broker is down repeat
// every reconnect: logs below "critical" are debug, errors (e.g. all brokers down) warn.
class LogEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      spdlog::warn("kafka: {} ({})", event.str(), RdKafka::err2str(event.err()));
    } else if (event.type() == RdKafka::Event::EVENT_LOG) {
      if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_CRITICAL) {
        spdlog::error("kafka: {} {}", event.fac(), event.str());
      } else {
        spdlog::debug("kafka: {} {}", event.fac(), event.str());
      }
    }
  }
};

LogEvents& SharedLogEvents() {
  static LogEvents events;
  return events;
}

// The outcome of one PublishAll call. Shared with the delivery reports, so that a report
// arriving after PublishAll gave up (it cannot, but a bug must not become a dangling
// pointer) writes into live memory.
struct Batch {
  std::vector<absl::Status> results;
  size_t pending = 0;
};

struct Slot {
  std::shared_ptr<Batch> batch;
  size_t index;
};

class DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<Slot> slot(static_cast<Slot*>(message.msg_opaque()));
    if (!slot) return;
    slot->batch->results[slot->index] =
        message.err() == RdKafka::ERR_NO_ERROR
            ? absl::OkStatus()
            : absl::UnavailableError(absl::StrCat("not acknowledged: ", message.errstr()));
    --slot->batch->pending;
  }
};

const std::map<std::string, std::string>& ProducerDefaults() {
  static const std::map<std::string, std::string> defaults = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      // A failure that would leave a gap in a partition's sequence stops the producer
      // (fatal error, replaced on the next call) instead of letting later records through.
      {"enable.gapless.guarantee", "true"},
      {"partitioner", "murmur2_random"},
      {"linger.ms", "5"},
      {"reconnect.backoff.max.ms", "2000"},
  };
  return defaults;
}

class KafkaPublisher : public EventPublisher {
 public:
  explicit KafkaPublisher(KafkaOptions options) : options_(std::move(options)) {}

  absl::Status Connect() {
    std::map<std::string, std::string> defaults = ProducerDefaults();
    defaults["message.timeout.ms"] = absl::StrCat(options_.delivery_timeout.count());
    auto conf = MakeConf(options_, defaults);
    if (!conf.ok()) return conf.status();
    std::string error;
    (*conf)->set("dr_cb", &reports_, error);
    producer_.reset(RdKafka::Producer::create(conf->get(), error));
    if (!producer_) return absl::InternalError(absl::StrCat("kafka producer: ", error));
    return absl::OkStatus();
  }

  ~KafkaPublisher() override {
    if (producer_) producer_->flush(Millis(options_.delivery_timeout));
  }

  std::vector<absl::Status> PublishAll(const std::vector<OutgoingRecord>& records) override {
    auto batch = std::make_shared<Batch>();
    batch->results.assign(records.size(), absl::UnavailableError("not sent"));
    if (absl::Status s = ReplaceIfFatal(); !s.ok()) {
      batch->results.assign(records.size(), s);
      return batch->results;
    }
    for (size_t i = 0; i < records.size(); ++i) Produce(records[i], batch, i);
    AwaitReports(*batch);
    return batch->results;
  }

  void SetInterrupted(bool interrupted) override { interrupted_ = interrupted; }

 private:
  // After a fatal error (e.g. the gapless guarantee could not be kept) librdkafka refuses
  // every record: start a new producer, with a new producer id.
  absl::Status ReplaceIfFatal() {
    std::string reason;
    if (producer_ && producer_->fatal_error(reason) == RdKafka::ERR_NO_ERROR) {
      return absl::OkStatus();
    }
    if (producer_) spdlog::warn("kafka producer had a fatal error ({}); replacing it", reason);
    producer_.reset();
    return Connect();
  }

  void Produce(const OutgoingRecord& r, const std::shared_ptr<Batch>& batch, size_t index) {
    auto slot = std::make_unique<Slot>(Slot{batch, index});
    for (;;) {
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& [name, value] : r.headers) headers->add(name, value);
      const RdKafka::ErrorCode err =
          producer_->produce(r.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(r.value.data()), r.value.size(), r.key.data(),
                             r.key.size(), 0, headers, slot.get());
      if (err == RdKafka::ERR_NO_ERROR) {
        ++batch->pending;
        slot.release();  // the delivery report owns it now
        return;
      }
      delete headers;  // not taken over on failure
      if (err != RdKafka::ERR__QUEUE_FULL) {
        batch->results[index] = absl::UnavailableError(
            absl::StrCat("kafka refused the record: ", RdKafka::err2str(err)));
        return;
      }
      producer_->poll(100);  // the local queue is full: serve reports, then try again
    }
  }

  // Every record gets its report within delivery_timeout; the margin covers the last
  // request's round trip. Whatever is still out after that is purged (its report says so).
  void AwaitReports(Batch& batch) {
    const auto deadline = Clock::now() + options_.delivery_timeout + std::chrono::seconds(5);
    while (batch.pending > 0 && Clock::now() < deadline && !interrupted_) producer_->poll(50);
    if (batch.pending == 0) return;
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    const auto purge_deadline = Clock::now() + std::chrono::seconds(5);
    while (batch.pending > 0 && Clock::now() < purge_deadline) producer_->poll(50);
  }

  const KafkaOptions options_;
  std::atomic<bool> interrupted_{false};
  DeliveryReports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// --- the C API, for admin calls ------------------------------------------------------------

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

absl::StatusOr<Handle> NewAdminHandle(const std::string& brokers) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("bootstrap.servers: ", error));
  }
  // Refused connections while a broker starts are expected: only critical logs.
  rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (rk == nullptr) return absl::InternalError(absl::StrCat("kafka admin client: ", error));
  return Handle(rk);
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

absl::StatusOr<Metadata> FetchMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, Millis(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka metadata: ", rd_kafka_err2str(err)));
  }
  return Metadata(md);
}

absl::Status TopicErrors(const rd_kafka_CreateTopics_result_t* result) {
  size_t count = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return absl::InternalError(absl::StrCat("creating topic ",
                                              rd_kafka_topic_result_name(topics[i]), ": ",
                                              rd_kafka_topic_result_error_string(topics[i])));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<rd_kafka_NewTopic_t*>> NewTopics(const std::vector<TopicSpec>& specs) {
  std::vector<rd_kafka_NewTopic_t*> out;
  char error[512];
  for (const TopicSpec& spec : specs) {
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, 1, error, sizeof error);
    if (topic == nullptr) {
      rd_kafka_NewTopic_destroy_array(out.data(), out.size());
      return absl::InvalidArgumentError(absl::StrCat("topic ", spec.name, ": ", error));
    }
    for (const auto& [name, value] : spec.config) {
      rd_kafka_NewTopic_set_config(topic, name.c_str(), value.c_str());
    }
    out.push_back(topic);
  }
  return out;
}

// A consumer that reads partitions by assignment (no group membership, nothing committed).
absl::StatusOr<std::unique_ptr<RdKafka::KafkaConsumer>> NewReader(const std::string& brokers) {
  auto conf =
      MakeConf({.brokers = brokers, .client_id = "mercato-reader"},
               {{"group.id", "mercato-reader-" + NewUuid()}, {"enable.auto.commit", "false"}});
  if (!conf.ok()) return conf.status();
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer) return absl::InternalError(absl::StrCat("kafka consumer: ", error));
  return consumer;
}

void AssignFromBeginning(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                         const std::map<int, int64_t>& ends) {
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& [partition, end] : ends) {
    if (end > 0) {
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, partition, RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  consumer.assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
}

// Reads the assigned partitions until each reached its end in `ends`.
absl::StatusOr<std::vector<IncomingRecord>> ReadUntil(RdKafka::KafkaConsumer& consumer,
                                                      std::map<int, int64_t> ends,
                                                      std::chrono::milliseconds timeout) {
  std::vector<IncomingRecord> out;
  std::map<int, int64_t> next;  // the next offset to read, per partition
  auto done = [&] {
    for (const auto& [p, end] : ends) {
      if (next[p] < end) return false;
    }
    return true;
  };
  const auto deadline = Clock::now() + timeout;
  while (!done() && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer.consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    next[m->partition()] = m->offset() + 1;
    if (m->offset() < ends[m->partition()]) out.push_back(ToIncomingRecord(*m));
  }
  if (!done()) return absl::DeadlineExceededError("could not read up to the end in time");
  return out;
}

}  // namespace

std::string IncomingRecord::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

IncomingRecord ToIncomingRecord(const RdKafka::Message& message) {
  IncomingRecord r;
  r.topic = message.topic_name();
  r.partition = message.partition();
  r.offset = message.offset();
  if (message.key() != nullptr) r.key = *message.key();
  r.value.assign(static_cast<const char*>(message.payload()), message.len());
  // headers() is not const, but only reads (and caches) the message's headers.
  RdKafka::Headers* headers = const_cast<RdKafka::Message&>(message).headers();
  if (headers == nullptr) return r;
  for (const RdKafka::Headers::Header& h : headers->get_all()) {
    const char* value = static_cast<const char*>(h.value());
    r.headers.emplace_back(h.key(), value == nullptr ? "" : std::string(value, h.value_size()));
  }
  return r;
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const KafkaOptions& options, const std::map<std::string, std::string>& defaults) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::map<std::string, std::string> all = defaults;
  all["bootstrap.servers"] = options.brokers;
  all["client.id"] = options.client_id;
  for (const auto& [name, value] : options.settings) all[name] = value;
  std::string error;
  for (const auto& [name, value] : all) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka setting ", name, ": ", error));
    }
  }
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&SharedLogEvents()), error);
  return conf;
}

absl::StatusOr<EventPublisherPtr> NewKafkaPublisher(const KafkaOptions& options) {
  if (options.brokers.empty()) return absl::InvalidArgumentError("no Kafka brokers given");
  auto publisher = std::make_unique<KafkaPublisher>(options);
  if (absl::Status s = publisher->Connect(); !s.ok()) return s;
  return EventPublisherPtr(std::move(publisher));
}

absl::Status CreateTopics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                          std::chrono::milliseconds timeout) {
  auto rk = NewAdminHandle(brokers);
  if (!rk.ok()) return rk.status();
  auto new_topics = NewTopics(topics);
  if (!new_topics.ok()) return new_topics.status();
  char error[512];
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, Millis(timeout), error, sizeof error);
  rd_kafka_AdminOptions_set_operation_timeout(options, Millis(timeout), error, sizeof error);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk->get());
  rd_kafka_CreateTopics(rk->get(), new_topics->data(), new_topics->size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, Millis(timeout) + 5000);
  absl::Status status = absl::DeadlineExceededError("creating topics timed out");
  if (event != nullptr) {
    status = rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR
                 ? absl::UnavailableError(
                       absl::StrCat("creating topics: ", rd_kafka_event_error_string(event)))
                 : TopicErrors(rd_kafka_event_CreateTopics_result(event));
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(new_topics->data(), new_topics->size());
  return status;
}

absl::Status WaitForBroker(const std::string& brokers, std::chrono::milliseconds timeout) {
  auto rk = NewAdminHandle(brokers);
  if (!rk.ok()) return rk.status();
  const auto deadline = Clock::now() + timeout;
  absl::Status last = absl::DeadlineExceededError("no answer");
  while (Clock::now() < deadline) {
    auto md = FetchMetadata(rk->get(), std::chrono::milliseconds(1000));
    if (md.ok() && (*md)->broker_cnt > 0) return absl::OkStatus();
    if (!md.ok()) last = md.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no Kafka broker answers at ", brokers, ": ", last.message()));
}

absl::StatusOr<std::map<int, int64_t>> HighWatermarks(const std::string& brokers,
                                                      const std::string& topic,
                                                      std::chrono::milliseconds timeout) {
  auto rk = NewAdminHandle(brokers);
  if (!rk.ok()) return rk.status();
  auto md = FetchMetadata(rk->get(), timeout);
  if (!md.ok()) return md.status();
  std::map<int, int64_t> out;
  for (int t = 0; t < (*md)->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& meta = (*md)->topics[t];
    if (topic != meta.topic) continue;
    for (int p = 0; p < meta.partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      const int32_t id = meta.partitions[p].id;
      const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
          rk->get(), topic.c_str(), id, &low, &high, Millis(timeout));
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::UnavailableError(
            absl::StrCat("watermarks of ", topic, "/", id, ": ", rd_kafka_err2str(err)));
      }
      out[id] = high;
    }
  }
  if (out.empty()) return absl::NotFoundError(absl::StrCat("no topic ", topic));
  return out;
}

absl::StatusOr<std::vector<IncomingRecord>> ReadTopic(const std::string& brokers,
                                                      const std::string& topic,
                                                      std::chrono::milliseconds timeout) {
  auto ends = HighWatermarks(brokers, topic, std::chrono::seconds(10));
  if (!ends.ok()) return ends.status();
  auto consumer = NewReader(brokers);
  if (!consumer.ok()) return consumer.status();
  AssignFromBeginning(**consumer, topic, *ends);
  auto records = ReadUntil(**consumer, *ends, timeout);
  (*consumer)->close();
  if (!records.ok()) {
    return absl::Status(records.status().code(),
                        absl::StrCat(topic, ": ", records.status().message()));
  }
  return records;
}

}  // namespace mercato::events
