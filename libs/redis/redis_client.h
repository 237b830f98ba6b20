// A pool of hiredis connections that speaks absl::Status. hiredis reports failures its own
// way (a NULL reply plus an error on the context, or an error reply); they are turned into a
// status here, once, and nothing above this file sees a redisReply.
//
//   auto endpoint = mercato::ParseRedisUrl("redis://127.0.0.1:6379/0");
//   mercato::RedisClient redis({.endpoint = *endpoint, .pool_size = 16});
//   absl::StatusOr<mercato::RedisReply> n = redis.Command({"HINCRBY", "cart:1", "sku", "1"});
//
//   static mercato::RedisScript add_script(R"lua( ... )lua");
//   auto reply = redis.Eval(add_script, {key}, {product_id, "1"});
//
// Errors:
//   UNAVAILABLE        Redis cannot be reached, a command timed out, the connection broke, or
//                      Redis answered LOADING / BUSY / READONLY / MASTERDOWN / OOM ...
//   DEADLINE_EXCEEDED  the current call's deadline (CurrentCall().deadline) passed first
//   INTERNAL           any other error reply (WRONGTYPE, a script error): a bug, not an outage
//
// Connections are opened lazily, up to `pool_size`. A connection that fails is closed and a
// new one is opened on next use, so the client recovers by itself once Redis is back. Every
// command is bounded by `command_timeout` and by the current call's deadline, so callers
// answer "unavailable" in time instead of hanging on a dead server. After a failed connect,
// new connects are not attempted for `reconnect_backoff`; calls fail at once meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mercato {

// Where Redis is: redis://[[username]:password@]host[:port][/db]
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string username;
  // Never logged, never part of an error message.
  std::string password;
};

// INVALID_ARGUMENT naming what is wrong (never echoing a password).
absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url);

// One reply, copied out of hiredis. Error replies never appear here: they are statuses.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;                   // kString, kStatus
  int64_t integer = 0;               // kInteger
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

// A Lua script run with EVALSHA. Its SHA1 is learned from SCRIPT LOAD on first use and kept;
// when Redis no longer knows it (restart, SCRIPT FLUSH) the script is sent again. Define
// scripts once (e.g. as static objects) and share them between threads.
class RedisScript {
 public:
  explicit RedisScript(std::string source) : source_(std::move(source)) {}
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;

  const std::string& source() const { return source_; }

 private:
  friend class RedisClient;
  std::string sha() const;
  void set_sha(std::string sha) const;

  const std::string source_;
  mutable absl::Mutex mu_;
  mutable std::string sha_ ABSL_GUARDED_BY(mu_);
};

class RedisClient {
 public:
  struct Options {
    RedisEndpoint endpoint;
    int pool_size = 16;
    std::chrono::milliseconds connect_timeout{500};
    std::chrono::milliseconds command_timeout{1000};
    // How long a caller waits for a free connection when all `pool_size` are busy.
    std::chrono::milliseconds acquire_timeout{1000};
    std::chrono::milliseconds reconnect_backoff{100};
  };

  // Connects lazily: construction never fails and never blocks.
  explicit RedisClient(Options options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command, e.g. {"HGETALL", key}. Arguments are binary safe.
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args);
  // Several commands sent together on one connection, one round trip; the replies in order.
  // Not atomic (use a script for that). The first error reply fails the whole call.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  // EVALSHA of `script` with these keys and arguments (atomic on the Redis server).
  absl::StatusOr<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);
  // PING; OK when Redis answers.
  absl::Status Ping();

  // Connections open now (idle + in use).
  int open_connections() const;
  const Options& options() const { return options_; }

 private:
  class Connection;
  using ConnectionPtr = std::unique_ptr<Connection>;

  // A connection borrowed from the pool; returned on destruction (closed when it broke).
  class Lease {
   public:
    Lease(RedisClient* client, ConnectionPtr conn);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    RedisClient* client_;
    ConnectionPtr conn_;
  };

  absl::StatusOr<Lease> Acquire(std::chrono::steady_clock::time_point deadline);
  // An idle connection that still looks alive, or null.
  ConnectionPtr TakeIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens one more connection (there is room for it), unlocking mu_ meanwhile.
  absl::StatusOr<Lease> OpenAnother() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ConnectionPtr> Connect();
  void Return(ConnectionPtr conn);

  const Options options_;
  mutable absl::Mutex mu_;
  // Signalled when a connection is returned or a slot frees up.
  absl::CondVar cv_;
  std::vector<ConnectionPtr> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point last_connect_failure_ ABSL_GUARDED_BY(mu_) = {};
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mercato
