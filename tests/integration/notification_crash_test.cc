// The real notification binary against a real PostgreSQL, Kafka (mercato.orders.v1, group
// "notification"), the real SMTP sink and a fake user service: killed with SIGKILL while it
// sends, then started again, it never sends an email twice (an email it was sending when it
// died is marked 'unknown', not resent), and every other email arrives; SIGTERM exits 0.
#include <sys/wait.h>

#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "notification_test_support.h"
#include "support/grpc_server.h"
#include "support/identity.h"
#include "support/process.h"

namespace mercato::notification {
namespace {

using events::Eventually;
using testing::KafkaServer;
using namespace std::chrono_literals;

constexpr int kEvents = 150;

std::string Psql(const std::string& sql) {
  return testing::PostgresServer::Shared()->Psql("notification_crash", sql);
}

std::map<std::string, std::string> BinaryEnv(const std::string& db, const std::string& user,
                                             const std::string& smtp) {
  return testing::WithTestKeys("notification",
                               {{"MERCATO_DATABASE_URL", db},
                                {"MERCATO_GRPC_PORT", std::to_string(testing::FreePort())},
                                {"MERCATO_ADMIN_PORT", std::to_string(testing::FreePort())},
                                {"MERCATO_BIND_ADDRESS", "127.0.0.1"},
                                {"MERCATO_USER_ADDR", user},
                                {"MERCATO_SMTP_URL", smtp},
                                {"MERCATO_SMTP_TIMEOUT_MS", "1000"},
                                {"MERCATO_NOTIFICATION_SEND_INTERVAL_MS", "20"},
                                {"MERCATO_KAFKA_BROKERS", KafkaServer::Shared()->brokers()}});
}

void PublishPaidOrders(std::vector<std::string>& event_ids) {
  auto publisher = events::NewKafkaPublisher(
      {.brokers = KafkaServer::Shared()->brokers(), .client_id = "notification-crash-test"});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  std::vector<events::OutgoingRecord> records;
  for (int i = 0; i < kEvents; ++i) {
    events::v1::Envelope paid = OrderPaidEvent(NewUuid(), absl::StrCat("crash-user-", i));
    event_ids.push_back(paid.event_id());
    records.push_back(events::RecordOf(events::kOrdersTopic, paid));
  }
  for (const absl::Status& ack : (*publisher)->PublishAll(records)) ASSERT_TRUE(ack.ok()) << ack;
}

TEST(NotificationCrashTest, KilledMidStreamItNeverSendsAnEmailTwice) {
  const std::string db = testing::PostgresServer::Shared()->CreateDatabase("notification_crash");
  auto sink = testing::SmtpSink::Start();
  ASSERT_TRUE(sink.ok()) << sink.status();
  FakeUserService fake_user;
  testing::LocalServer user_server({&fake_user});
  ASSERT_TRUE(user_server.ok());
  std::vector<std::string> event_ids;
  PublishPaidOrders(event_ids);
  ASSERT_EQ(event_ids.size(), static_cast<size_t>(kEvents));

  const auto env = BinaryEnv(db, user_server.address(), (*sink)->url());
  testing::ChildProcess first(testing::BinaryPath("notification"), env, "notification-crash");
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(Eventually([&] { return (*sink)->Messages().size() >= 10; }, 90s)) << first.ReadLog();
  first.Kill();  // SIGKILL, mid-stream
  const size_t before_restart = (*sink)->Messages().size();
  ASSERT_LT(before_restart, static_cast<size_t>(kEvents)) << "killed after the stream, not in it";

  testing::ChildProcess second(testing::BinaryPath("notification"), env, "notification-crash");
  ASSERT_TRUE(second.Start().ok());
  // Every event has its row, and none is queued or being sent any more.
  ASSERT_TRUE(Eventually(
      [&] {
        return Psql(
                   "SELECT count(*), count(*) FILTER (WHERE status IN ('sent', 'unknown')) "
                   "FROM emails") == absl::StrCat(kEvents, "|", kEvents);
      },
      120s))
      << second.ReadLog();

  const std::vector<std::string> received = MessageIds(**sink);
  const std::set<std::string> unique(received.begin(), received.end());
  EXPECT_EQ(unique.size(), received.size()) << "an email was sent twice";
  std::set<std::string> expected;
  for (const std::string& id : event_ids) expected.insert(MessageIdOf(id));
  for (const std::string& id : unique) EXPECT_TRUE(expected.count(id)) << id;
  // Every 'sent' email arrived; an 'unknown' one may or may not have.
  const std::string sent = Psql("SELECT count(*) FROM emails WHERE status = 'sent'");
  const std::string sent_arrived = Psql(
      "SELECT count(*) FROM emails WHERE status = 'sent' AND '<' || event_id || "
      "'@mercato.local>' = ANY(ARRAY['" +
      absl::StrJoin(received, "','") + "'])");
  EXPECT_EQ(sent_arrived, sent);
  EXPECT_GT(received.size(), before_restart);
  EXPECT_LE(std::stoi(Psql("SELECT count(*) FROM emails WHERE status = 'unknown'")), 1);

  second.Signal(SIGTERM);
  const int status = second.Wait(30s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << second.ReadLog();
}

}  // namespace
}  // namespace mercato::notification
