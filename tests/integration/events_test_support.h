// Shared by the event backbone's integration tests (events_*_test.cc): a database with the
// outbox, the inbox and an `effects` table a test consumer writes; events numbered per
// aggregate; polling with deadlines; metric values.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "db/migrations.h"
#include "events/contracts.h"
#include "events/outbox.h"
#include "support/kafka.h"
#include "support/postgres.h"

namespace mercato::events {

// What the tests' consumers do for an event: one row per application (never deduplicated
// here: the inbox must do that), so that a count above one is a doubled effect.
inline const EmbeddedFile kEffectsMigration = {
    "003_effects.sql",
    "CREATE TABLE effects (event_id uuid NOT NULL, aggregate_id text NOT NULL,"
    " seq bigint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE products (id text PRIMARY KEY, quantity bigint NOT NULL);"};

inline std::unique_ptr<PgPool> OpenEventsDatabase(const std::string& name) {
  const std::string url = testing::PostgresServer::Shared()->CreateDatabase(name);
  auto pool = OpenDatabase({.conninfo = url, .size = 8},
                           {OutboxMigration(1), InboxMigration(2), kEffectsMigration});
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? std::move(*pool) : nullptr;
}

// A StockChanged event of product `product` whose sellable quantity is its number `seq`.
inline v1::Envelope StockEvent(const std::string& product, int64_t seq) {
  v1::Envelope event = NewEvent("test");
  event.mutable_stock_changed()->set_product_id(product);
  event.mutable_stock_changed()->set_sellable_quantity(seq);
  return event;
}

// The state change and its event in one transaction, as a producing service does it.
inline absl::Status ChangeStock(PgPool& pool, const std::string& product, int64_t seq) {
  return pool.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO products (id, quantity) VALUES ($1, $2)"
        " ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity",
        product, seq);
    return AppendToOutbox(tx, StockEvent(product, seq));
  });
}

// The record an event is published as (what the relay sends), for tests that publish directly.
inline OutgoingRecord RecordOf(const std::string& topic, v1::Envelope event) {
  auto route = Seal(event);
  EXPECT_TRUE(route.ok()) << route.status();
  return {topic,
          event.aggregate_id(),
          event.SerializeAsString(),
          {{kEventIdHeader, event.event_id()}, {kTypeHeader, event.type()}}};
}

// The test consumers' handler: records the effect (seq is the sellable quantity).
inline absl::Status RecordEffect(const v1::Envelope& event, pqxx::work& tx) {
  tx.exec_params("INSERT INTO effects (event_id, aggregate_id, seq) VALUES ($1, $2, $3)",
                 event.event_id(), event.aggregate_id(), event.stock_changed().sellable_quantity());
  return absl::OkStatus();
}

inline int64_t Count(PgPool& pool, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(pool.Transact([&](pqxx::work& tx) -> absl::Status {
                    n = tx.exec1(sql)[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  return n;
}

// Polls `done` every 50 ms until it holds or `timeout` passes; returns whether it held.
inline bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// The sum of a metric's samples whose labels include `labels`.
inline double MetricValue(prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels = {}) {
  double sum = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      size_t matched = 0;
      for (const auto& label : metric.label)
        matched += labels.count(label.name) && labels.at(label.name) == label.value;
      if (matched != labels.size()) continue;
      sum += metric.counter.value + metric.gauge.value;
    }
  }
  return sum;
}

// A received event: its envelope and where it was.
struct Received {
  v1::Envelope event;
  int32_t partition;
};

// The events on `topic` (from its beginning) whose key is one of `keys`, in topic order.
inline std::vector<Received> EventsOf(const std::string& topic,
                                      const std::vector<std::string>& keys) {
  auto records = ReadTopic(testing::KafkaServer::Shared()->brokers(), topic);
  EXPECT_TRUE(records.ok()) << records.status();
  std::vector<Received> out;
  if (!records.ok()) return out;
  for (const IncomingRecord& r : *records) {
    if (std::find(keys.begin(), keys.end(), r.key) == keys.end()) continue;
    Received received{{}, r.partition};
    EXPECT_TRUE(received.event.ParseFromString(r.value));
    EXPECT_EQ(r.Header(kEventIdHeader), received.event.event_id());
    out.push_back(std::move(received));
  }
  return out;
}

inline std::string UniqueName(const std::string& prefix) {
  return absl::StrCat(prefix, "-", NewUuid().substr(0, 8));
}

}  // namespace mercato::events
