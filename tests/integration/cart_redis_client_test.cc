// Integration tests of libs/redis against a real Redis started by the harness: replies,
// errors as statuses, scripts, the pool under concurrency, timeouts, deadlines, Redis going
// away and coming back.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "redis/redis_client.h"
#include "support/redis.h"

namespace mercato {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;

RedisClient::Options OptionsFor(RedisServer* redis) {
  RedisClient::Options options;
  options.endpoint = *ParseRedisUrl(redis->Url());
  options.pool_size = 4;
  options.connect_timeout = milliseconds(500);
  options.command_timeout = milliseconds(1000);
  options.acquire_timeout = milliseconds(1000);
  options.reconnect_backoff = milliseconds(50);
  return options;
}

milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Shared();
    redis_->Cli("FLUSHALL");
  }
  RedisServer* redis_ = nullptr;
};

TEST_F(RedisClientTest, RepliesOfEveryType) {
  RedisClient client(OptionsFor(redis_));
  auto status = client.Command({"SET", "k", "v"});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->type, RedisReply::Type::kStatus);
  EXPECT_EQ(status->str, "OK");

  auto str = client.Command({"GET", "k"});
  ASSERT_TRUE(str.ok()) << str.status();
  EXPECT_EQ(str->type, RedisReply::Type::kString);
  EXPECT_EQ(str->str, "v");

  auto nil = client.Command({"GET", "missing"});
  ASSERT_TRUE(nil.ok()) << nil.status();
  EXPECT_TRUE(nil->is_nil());

  auto integer = client.Command({"INCRBY", "n", "41"});
  ASSERT_TRUE(integer.ok()) << integer.status();
  EXPECT_EQ(integer->type, RedisReply::Type::kInteger);
  EXPECT_EQ(integer->integer, 41);

  ASSERT_TRUE(client.Command({"RPUSH", "list", "a", "b"}).ok());
  auto array = client.Command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(array.ok()) << array.status();
  ASSERT_EQ(array->type, RedisReply::Type::kArray);
  ASSERT_EQ(array->elements.size(), 2u);
  EXPECT_EQ(array->elements[0].str, "a");
  EXPECT_EQ(array->elements[1].str, "b");
}

TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
  RedisClient client(OptionsFor(redis_));
  const std::string key("k\0ey with spaces", 16);
  const std::string value("v\0\r\n\"'", 6);
  ASSERT_TRUE(client.Command({"SET", key, value}).ok());
  auto reply = client.Command({"GET", key});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, value);
}

TEST_F(RedisClientTest, ErrorReplyIsInternalAndTheConnectionStaysUsable) {
  RedisClient client(OptionsFor(redis_));
  ASSERT_TRUE(client.Command({"SET", "s", "text"}).ok());
  auto reply = client.Command({"INCR", "s"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(reply.status().message(), "redis: ERR value is not an integer or out of range");
  auto wrongtype = client.Command({"HGET", "s", "f"});
  EXPECT_EQ(wrongtype.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(client.Ping().ok());
  EXPECT_EQ(client.open_connections(), 1);
}

TEST_F(RedisClientTest, PipelineAnswersInOrderInOneRoundTrip) {
  RedisClient client(OptionsFor(redis_));
  auto replies = client.Pipeline({{"SET", "a", "1"}, {"INCR", "a"}, {"GET", "a"}, {"GET", "zz"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_EQ((*replies)[1].integer, 2);
  EXPECT_EQ((*replies)[2].str, "2");
  EXPECT_TRUE((*replies)[3].is_nil());
}

TEST_F(RedisClientTest, PipelineErrorFailsTheCallButKeepsTheConnectionInStep) {
  RedisClient client(OptionsFor(redis_));
  ASSERT_TRUE(client.Command({"SET", "s", "text"}).ok());
  auto replies = client.Pipeline({{"INCR", "s"}, {"SET", "after", "yes"}});
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kInternal);
  // The second command ran, and its reply was consumed: the next command gets its own.
  auto after = client.Command({"GET", "after"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->str, "yes");
}

TEST_F(RedisClientTest, ScriptsRunBySha1AndSurviveAScriptCacheFlush) {
  RedisClient client(OptionsFor(redis_));
  RedisScript script("return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}");
  auto first = client.Eval(script, {"counter"}, {"5"});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->elements.size(), 3u);
  EXPECT_EQ(first->elements[0].str, "counter");
  EXPECT_EQ(first->elements[1].str, "5");
  EXPECT_EQ(first->elements[2].integer, 5);

  redis_->Cli("SCRIPT FLUSH");
  auto second = client.Eval(script, {"counter"}, {"2"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->elements[2].integer, 7);
}

TEST_F(RedisClientTest, ScriptErrorIsInternal) {
  RedisClient client(OptionsFor(redis_));
  RedisScript script("return redis.call('NOSUCHCOMMAND')");
  auto reply = client.Eval(script, {}, {});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal) << reply.status();
  EXPECT_TRUE(client.Ping().ok());
}

TEST_F(RedisClientTest, SelectsTheDatabaseOfTheUrl) {
  RedisClient::Options options = OptionsFor(redis_);
  options.endpoint = *ParseRedisUrl(absl::StrCat(redis_->Url(), "/5"));
  RedisClient client(options);
  ASSERT_TRUE(client.Command({"SET", "in5", "yes"}).ok());
  EXPECT_EQ(redis_->Cli("-n 5 GET in5"), "yes");
  EXPECT_EQ(redis_->Cli("-n 0 EXISTS in5"), "0");
}

TEST_F(RedisClientTest, AuthenticatesWithThePasswordOfTheUrl) {
  RedisClient admin(OptionsFor(redis_));
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "pa55-word"}).ok());
  RedisClient::Options with = OptionsFor(redis_);
  with.endpoint.password = "pa55-word";
  RedisClient authed(with);
  EXPECT_TRUE(authed.Ping().ok());

  RedisClient::Options wrong = OptionsFor(redis_);
  wrong.endpoint.password = "not-it";
  RedisClient refused(wrong);
  absl::Status s = refused.Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(std::string(s.message()).find("not-it"), std::string::npos) << s;

  // `admin` authenticated before the password was set; it resets it.
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", ""}).ok());
}

TEST_F(RedisClientTest, ConcurrentCallersShareThePoolWithoutLosingUpdates) {
  RedisClient client(OptionsFor(redis_));
  constexpr int kThreads = 8;
  constexpr int kEach = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!client.Command({"INCR", "shared"}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(redis_->Cli("GET shared"), absl::StrCat(kThreads * kEach));
  EXPECT_LE(client.open_connections(), 4);
  EXPECT_GE(client.open_connections(), 1);
}

TEST_F(RedisClientTest, NothingListeningIsUnavailableAtOnce) {
  RedisClient::Options options = OptionsFor(redis_);
  options.endpoint.port = 1;  // nothing listens on port 1
  RedisClient client(options);
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = client.Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_LT(Since(start), milliseconds(500));
  // Within the reconnect backoff the next call fails without trying.
  EXPECT_EQ(client.Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.open_connections(), 0);
}

TEST_F(RedisClientTest, SlowRedisTimesOutAfterTheCommandTimeout) {
  RedisClient::Options options = OptionsFor(redis_);
  options.command_timeout = milliseconds(200);
  RedisClient client(options);
  ASSERT_TRUE(client.Ping().ok());
  redis_->Cli("CLIENT PAUSE 1000 ALL");
  const auto start = std::chrono::steady_clock::now();
  auto reply = client.Command({"GET", "k"});
  const auto took = Since(start);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(1000));
  // The timed-out connection was closed: its late reply can never be read as another's.
  EXPECT_EQ(client.open_connections(), 0);
  redis_->Cli("CLIENT UNPAUSE");
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(client.Ping().ok());
}

TEST_F(RedisClientTest, TheCallsDeadlineBoundsTheWait) {
  RedisClient::Options options = OptionsFor(redis_);
  options.command_timeout = milliseconds(5000);
  RedisClient client(options);
  ASSERT_TRUE(client.Ping().ok());
  redis_->Cli("CLIENT PAUSE 1000 ALL");
  CallContext call;
  call.deadline = std::chrono::system_clock::now() + milliseconds(200);
  ScopedCallContext scope(call);
  const auto start = std::chrono::steady_clock::now();
  auto reply = client.Command({"GET", "k"});
  const auto took = Since(start);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
  EXPECT_LT(took, milliseconds(1000));
  redis_->Cli("CLIENT UNPAUSE");
  // A call whose deadline already passed does not even try.
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(client.Ping().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(RedisClientTest, BusyPoolRefusesAfterTheAcquireTimeout) {
  RedisClient::Options options = OptionsFor(redis_);
  options.pool_size = 1;
  options.command_timeout = milliseconds(3000);
  options.acquire_timeout = milliseconds(150);
  RedisClient client(options);
  std::thread holder([&] { (void)client.Command({"BLPOP", "never", "1"}); });
  std::this_thread::sleep_for(milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = client.Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_GE(Since(start), milliseconds(100));
  holder.join();
  EXPECT_TRUE(client.Ping().ok());
}

// Last: it stops and restarts the shared server.
TEST_F(RedisClientTest, ZzRecoversWhenRedisComesBack) {
  RedisClient client(OptionsFor(redis_));
  ASSERT_TRUE(client.Command({"SET", "before", "1"}).ok());

  // A restart between two calls: the idle connection is seen to be dead and replaced, so
  // the next call succeeds the first time.
  redis_->Stop();
  ASSERT_TRUE(redis_->Restart().ok());
  auto after_restart = client.Command({"SET", "after", "1"});
  EXPECT_TRUE(after_restart.ok()) << after_restart.status();

  // While it is down, calls fail quickly with UNAVAILABLE.
  redis_->Stop();
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    absl::Status s = client.Ping();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_LT(Since(start), milliseconds(600));
  }
  ASSERT_TRUE(redis_->Restart().ok());
  std::this_thread::sleep_for(milliseconds(100));  // past the reconnect backoff
  EXPECT_TRUE(client.Ping().ok());
  EXPECT_TRUE(client.Command({"SET", "again", "1"}).ok());
}

}  // namespace
}  // namespace mercato
