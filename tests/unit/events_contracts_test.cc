// The event contracts in code (libs/events/contracts.h) and the rules of the relay and the
// dead-letter path that need no broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/call_context.h"
#include "common/ids.h"
#include "events/config.h"
#include "events/consumer.h"
#include "events/contracts.h"
#include "events/dead_letter.h"
#include "events/outbox.h"
#include "events/outbox_relay.h"
#include "support/kafka.h"

namespace mercato::events {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(EventContracts, TopicsFileListsExactlyTheTopicsOfTheCode) {
  std::vector<std::string> in_file;
  for (const TopicSpec& spec : testing::BackboneTopics()) in_file.push_back(spec.name);
  EXPECT_EQ(in_file, AllTopics());
}

TEST(EventContracts, EveryPayloadHasATopicAndAnAggregate) {
  const auto* oneof = v1::Envelope::descriptor()->FindOneofByName("payload");
  ASSERT_NE(oneof, nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    v1::Envelope event = NewEvent("test");
    const auto* field = oneof->field(i);
    auto* payload = event.GetReflection()->MutableMessage(&event, field);
    // Every payload names its aggregate in its first field.
    payload->GetReflection()->SetString(payload, payload->GetDescriptor()->field(0), "agg-1");
    auto route = Seal(event);
    ASSERT_TRUE(route.ok()) << field->name() << ": " << route.status();
    EXPECT_EQ(route->aggregate_id, "agg-1") << field->name();
    EXPECT_EQ(event.type(), field->message_type()->full_name());
    EXPECT_NE(std::find(AllTopics().begin(), AllTopics().end(), route->topic), AllTopics().end());
  }
}

TEST(EventContracts, SealRoutesByPayloadAndFillsTheEnvelope) {
  v1::Envelope event = NewEvent("payment");
  event.mutable_payment_captured()->set_payment_id("pay-7");
  event.mutable_payment_captured()->set_order_id("order-1");
  auto route = Seal(event);
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_EQ(route->topic, kPaymentsTopic);
  EXPECT_EQ(route->aggregate_id, "pay-7");
  EXPECT_EQ(event.aggregate_type(), "payment");
  EXPECT_EQ(event.aggregate_id(), "pay-7");
  EXPECT_EQ(event.type(), "mercato.events.v1.PaymentCaptured");
  EXPECT_EQ(event.source(), "payment");
  EXPECT_EQ(event.schema_version(), 1);
  EXPECT_TRUE(IsUuid(event.event_id()));
  EXPECT_GT(event.occurred_at().seconds(), 1700000000);
}

TEST(EventContracts, SealRefusesIncompleteEnvelopes) {
  v1::Envelope no_payload = NewEvent("catalog");
  EXPECT_EQ(Seal(no_payload).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Envelope no_aggregate = NewEvent("catalog");
  no_aggregate.mutable_stock_changed()->set_sellable_quantity(3);
  EXPECT_EQ(Seal(no_aggregate).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Envelope bad_id = NewEvent("catalog");
  bad_id.mutable_stock_changed()->set_product_id("p");
  bad_id.set_event_id("42");
  EXPECT_EQ(Seal(bad_id).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Envelope no_source = NewEvent("");
  no_source.mutable_stock_changed()->set_product_id("p");
  EXPECT_EQ(Seal(no_source).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EventContracts, NewEventCarriesTheCurrentTrace) {
  CallContext context;
  context.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  ScopedCallContext scope(context);
  EXPECT_EQ(NewEvent("checkout").traceparent(), context.traceparent);
}

TEST(EventContracts, MigrationsAreNamedByTheCallersVersion) {
  EXPECT_EQ(OutboxMigration(7).name, "007_events_outbox.sql");
  EXPECT_EQ(InboxMigration(12).name, "012_events_inbox.sql");
  EXPECT_NE(OutboxMigration(7).content.find("CREATE TABLE outbox"), std::string_view::npos);
  EXPECT_NE(InboxMigration(12).content.find("CREATE TABLE inbox"), std::string_view::npos);
}

TEST(OutboxRelayRules, OnlyTheAcknowledgedPrefixOfEachKeyIsSettled) {
  const absl::Status ok = absl::OkStatus();
  const absl::Status down = absl::UnavailableError("timed out");
  // a1 ok, b1 fails, a2 ok, b2 ok (after b1: must wait for b1), c1 ok
  EXPECT_THAT(SettledInKeyOrder({"a", "b", "a", "b", "c"}, {ok, down, ok, ok, ok}),
              ElementsAre(true, false, true, false, true));
  EXPECT_THAT(SettledInKeyOrder({"a", "a"}, {down, ok}), ElementsAre(false, false));
  EXPECT_THAT(SettledInKeyOrder({}, {}), ElementsAre());
}

TEST(OutboxRelayRules, BackoffDoublesUpToItsCap) {
  OutboxRelayOptions options;
  options.initial_backoff = std::chrono::milliseconds(500);
  options.max_backoff = std::chrono::milliseconds(3000);
  EXPECT_EQ(RelayBackoff(1, options).count(), 500);
  EXPECT_EQ(RelayBackoff(2, options).count(), 1000);
  EXPECT_EQ(RelayBackoff(3, options).count(), 2000);
  EXPECT_EQ(RelayBackoff(4, options).count(), 3000);
  EXPECT_EQ(RelayBackoff(40, options).count(), 3000);
}

TEST(ConsumerRules, OnlyTryLaterErrorsAreRetriedWithoutLimit) {
  EXPECT_TRUE(IsTransientError(absl::UnavailableError("db down")));
  EXPECT_TRUE(IsTransientError(absl::AbortedError("serialization")));
  EXPECT_TRUE(IsTransientError(absl::DeadlineExceededError("slow")));
  EXPECT_FALSE(IsTransientError(absl::InvalidArgumentError("bad event")));
  EXPECT_FALSE(IsTransientError(absl::FailedPreconditionError("unknown order")));
  EXPECT_FALSE(IsTransientError(absl::InternalError("bug")));
}

IncomingRecord Received() {
  IncomingRecord r;
  r.topic = kOrdersTopic;
  r.partition = 2;
  r.offset = 41;
  r.key = "order-1";
  r.value = "envelope bytes";
  r.headers = {{kEventIdHeader, "e-1"}, {kTypeHeader, "mercato.events.v1.OrderPaid"}};
  return r;
}

TEST(DeadLetters, KeepTheRecordAndSayWhereItCameFromAndWhy) {
  const OutgoingRecord dead = MakeDeadLetterRecord(
      Received(), {"checkout.payments", "INVALID_ARGUMENT: no such order", kOrdersTopic, 2, 41, 5},
      kDeadLetterTopic);
  EXPECT_EQ(dead.topic, kDeadLetterTopic);
  EXPECT_EQ(dead.key, "order-1");
  EXPECT_EQ(dead.value, "envelope bytes");

  IncomingRecord read{kDeadLetterTopic, 0, 9, dead.key, dead.value, dead.headers};
  auto why = ParseDeadLetter(read);
  ASSERT_TRUE(why.ok()) << why.status();
  EXPECT_EQ(why->group, "checkout.payments");
  EXPECT_EQ(why->error, "INVALID_ARGUMENT: no such order");
  EXPECT_EQ(why->topic, kOrdersTopic);
  EXPECT_EQ(why->partition, 2);
  EXPECT_EQ(why->offset, 41);
  EXPECT_EQ(why->attempts, 5);
}

TEST(DeadLetters, AReplayGoesBackToTheOriginalTopicWithTheOriginalHeaders) {
  const OutgoingRecord dead =
      MakeDeadLetterRecord(Received(), {"g", "boom", kOrdersTopic, 2, 41, 3}, kDeadLetterTopic);
  auto replay = MakeReplayRecord({kDeadLetterTopic, 0, 9, dead.key, dead.value, dead.headers});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->topic, kOrdersTopic);
  EXPECT_EQ(replay->key, "order-1");
  EXPECT_EQ(replay->value, "envelope bytes");
  EXPECT_THAT(replay->headers, ElementsAre(Pair(kEventIdHeader, "e-1"),
                                           Pair(kTypeHeader, "mercato.events.v1.OrderPaid"),
                                           Pair(kReplayedFromHeader, "mercato.deadletter.v1/0/9")));
}

TEST(DeadLetters, ARecordWithoutDeadLetterHeadersIsNotOne) {
  EXPECT_EQ(ParseDeadLetter(Received()).status().code(), absl::StatusCode::kInvalidArgument);
}

EnvReader FromMap(const std::map<std::string, std::string>& vars) {
  return EnvReader([vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(EventsConfig, ReadsTheServicesKafkaAndOutboxSettings) {
  EnvReader env = FromMap({{"MERCATO_KAFKA_BROKERS", "k1:9092,k2:9092"},
                           {"MERCATO_KAFKA_DELIVERY_TIMEOUT_MS", "5000"},
                           {"MERCATO_OUTBOX_POLL_INTERVAL_MS", "100"},
                           {"MERCATO_OUTBOX_RETENTION_HOURS", "24"},
                           {"MERCATO_EVENTS_MAX_ATTEMPTS", "3"}});
  const EventsConfig c = ReadEventsConfig(env, "checkout");
  ASSERT_TRUE(env.Finish().ok()) << env.Finish();
  EXPECT_EQ(c.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.kafka.client_id, "checkout");
  EXPECT_EQ(c.kafka.delivery_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.relay.poll_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(c.relay.retention, std::chrono::hours(24));
  EXPECT_EQ(c.consumer.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.consumer.max_attempts, 3);
  EXPECT_EQ(c.consumer.inbox_retention, std::chrono::hours(48));
}

TEST(EventsConfig, TheBrokersAreRequired) {
  EnvReader env = FromMap({});
  ReadEventsConfig(env, "payment");
  EXPECT_NE(env.Finish().message().find("MERCATO_KAFKA_BROKERS"), std::string::npos);
}

}  // namespace
}  // namespace mercato::events
