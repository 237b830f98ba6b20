// The email sender's decisions over an in-memory store and a scripted transport: sent ->
// 'sent'; a transient failure queues again with a doubling backoff; a 5xx queues again until
// the last permitted attempt, then 'failed'; a lost answer after the message went out and an
// abandoned claim become 'unknown' and are never sent again. And the SMTP outcome table.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <deque>
#include <map>

#include "notification/email_sender.h"

namespace mercato::notification {
namespace {

using namespace std::chrono_literals;

struct Row {
  QueuedEmail email;
  std::string status = "queued";
  std::chrono::milliseconds backoff{0};
};

// Every queued row is due (the backoff is recorded, not waited for).
class FakeStore : public NotificationStore {
 public:
  absl::StatusOr<bool> Enqueue(pqxx::work&, const QueuedEmail&) override { return false; }
  absl::StatusOr<std::optional<QueuedEmail>> ClaimNext() override {
    for (auto& [id, row] : rows) {
      if (row.status != "queued" || claims_left == 0) continue;
      --claims_left;
      row.status = "sending";
      ++row.email.attempts;
      return std::optional<QueuedEmail>(row.email);
    }
    return std::optional<QueuedEmail>();
  }
  absl::Status MarkSent(const std::string& id) override { return Set(id, "sent"); }
  absl::Status MarkFailed(const std::string& id, const std::string&) override {
    return Set(id, "failed");
  }
  absl::Status MarkUnknown(const std::string& id, const std::string&) override {
    return Set(id, "unknown");
  }
  absl::Status MarkRetry(const std::string& id, std::chrono::milliseconds backoff,
                         const std::string&) override {
    rows[id].backoff = backoff;
    return Set(id, "queued");
  }
  absl::StatusOr<std::vector<AbandonedEmail>> MarkAbandoned(std::chrono::milliseconds) override {
    std::vector<AbandonedEmail> out;
    for (auto& [id, row] : rows) {
      if (row.status == "sending") out.push_back({id, row.email.kind}), row.status = "unknown";
    }
    return out;
  }
  absl::StatusOr<int64_t> DeleteFinished(std::chrono::hours) override { return 0; }

  absl::Status Set(const std::string& id, const std::string& status) {
    EXPECT_EQ(rows[id].status, "sending") << id;
    rows[id].status = status;
    return absl::OkStatus();
  }
  void Add(const std::string& id) { rows[id].email = {id, "order_paid", "o", "a@b.c", "msg", 0}; }

  std::map<std::string, Row> rows;
  int claims_left = 1000;
};

class ScriptedTransport : public MailTransport {
 public:
  SendResult Send(const std::string&, const std::string& to, const std::string&) override {
    ++sends;
    if (script.empty()) return {SendOutcome::kSent, 250, ""};
    SendResult r = script.front();
    script.pop_front();
    return r;
  }
  std::deque<SendResult> script;
  int sends = 0;
};

class EmailSenderTest : public ::testing::Test {
 protected:
  double Count(const std::string& outcome) {
    double sum = 0;
    for (const auto& family : registry_.Collect()) {
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "outcome" && label.value == outcome) sum += metric.counter.value;
        }
      }
    }
    return sum;
  }

  FakeStore store_;
  ScriptedTransport smtp_;
  prometheus::Registry registry_;
  NotificationMetrics metrics_{registry_};
  EmailSender sender_{store_,
                      smtp_,
                      metrics_,
                      {.backoff = 100ms, .max_backoff = 350ms, .max_permanent_attempts = 3}};
};

TEST_F(EmailSenderTest, SendsEveryDueEmailOnce) {
  store_.Add("e1");
  store_.Add("e2");
  EXPECT_EQ(*sender_.SendDue(), 2);
  EXPECT_EQ(store_.rows["e1"].status, "sent");
  EXPECT_EQ(store_.rows["e2"].status, "sent");
  EXPECT_EQ(*sender_.SendDue(), 0);
  EXPECT_EQ(smtp_.sends, 2);
  EXPECT_EQ(Count("sent"), 2);
}

TEST_F(EmailSenderTest, ATransientFailureQueuesAgainWithADoublingCappedBackoff) {
  store_.Add("e1");
  for (int i = 0; i < 4; ++i) smtp_.script.push_back({SendOutcome::kTransient, 421, "busy"});
  std::vector<std::chrono::milliseconds> backoffs;
  for (int i = 0; i < 4; ++i) {
    store_.claims_left = 1;
    ASSERT_EQ(*sender_.SendDue(), 1);
    EXPECT_EQ(store_.rows["e1"].status, "queued");
    backoffs.push_back(store_.rows["e1"].backoff);
  }
  EXPECT_EQ(backoffs, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 350ms, 350ms}));
  store_.claims_left = 1;
  ASSERT_EQ(*sender_.SendDue(), 1);
  EXPECT_EQ(store_.rows["e1"].status, "sent");
  EXPECT_EQ(Count("retried"), 4);
}

TEST_F(EmailSenderTest, APermanentRefusalFailsAfterTheLastAttempt) {
  store_.Add("e1");
  for (int i = 0; i < 3; ++i) smtp_.script.push_back({SendOutcome::kPermanent, 550, "no"});
  EXPECT_EQ(*sender_.SendDue(), 3);  // every attempt is due at once in the fake
  EXPECT_EQ(store_.rows["e1"].status, "failed");
  EXPECT_EQ(store_.rows["e1"].email.attempts, 3);
  EXPECT_EQ(Count("retried"), 2);
  EXPECT_EQ(Count("failed"), 1);
}

TEST_F(EmailSenderTest, ALostAnswerAndAnAbandonedClaimAreNeverResent) {
  store_.Add("e1");
  store_.Add("e2");
  store_.rows["e2"].status = "sending";  // a process died sending it
  smtp_.script.push_back({SendOutcome::kUnknown, 0, "connection reset"});
  EXPECT_EQ(*sender_.SendDue(), 1);
  EXPECT_EQ(store_.rows["e1"].status, "unknown");
  EXPECT_EQ(store_.rows["e2"].status, "unknown");
  EXPECT_EQ(*sender_.SendDue(), 0);
  EXPECT_EQ(smtp_.sends, 1);
  EXPECT_EQ(Count("unknown"), 2);
}

TEST(SmtpOutcomeTest, ClassifiesCurlResults) {
  EXPECT_EQ(ClassifySend(CURLE_OK, 250, true), SendOutcome::kSent);
  EXPECT_EQ(ClassifySend(CURLE_COULDNT_CONNECT, 0, false), SendOutcome::kTransient);
  EXPECT_EQ(ClassifySend(CURLE_SEND_ERROR, 451, true), SendOutcome::kTransient);
  EXPECT_EQ(ClassifySend(CURLE_SEND_ERROR, 550, false), SendOutcome::kPermanent);
  EXPECT_EQ(ClassifySend(CURLE_LOGIN_DENIED, 535, false), SendOutcome::kPermanent);
  EXPECT_EQ(ClassifySend(CURLE_OPERATION_TIMEDOUT, 354, false), SendOutcome::kTransient);
  EXPECT_EQ(ClassifySend(CURLE_OPERATION_TIMEDOUT, 354, true), SendOutcome::kUnknown);
  EXPECT_EQ(ClassifySend(CURLE_RECV_ERROR, 0, true), SendOutcome::kUnknown);
}

}  // namespace
}  // namespace mercato::notification
