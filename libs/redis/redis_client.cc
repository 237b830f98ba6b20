#include "redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/call_context.h"

namespace mercato {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// Error replies that mean "Redis cannot serve this right now", as opposed to a bug in the
// command (ERR, WRONGTYPE, a failing script).
bool IsTransientErrorReply(absl::string_view text) {
  for (absl::string_view prefix : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "OOM", "TRYAGAIN",
                                   "CLUSTERDOWN", "NOREPLICAS", "MISCONF"}) {
    if (absl::StartsWith(text, prefix)) return true;
  }
  return false;
}

constexpr absl::string_view kNoScript = "NOSCRIPT";

absl::Status ErrorReplyStatus(absl::string_view text) {
  if (absl::StartsWith(text, kNoScript)) {
    // Only seen by Eval(), which answers it by sending the script again.
    return absl::NotFoundError(text);
  }
  if (IsTransientErrorReply(text)) return absl::UnavailableError(absl::StrCat("redis: ", text));
  return absl::InternalError(absl::StrCat("redis: ", text));
}

// Copies a hiredis reply; the first error reply anywhere in it becomes the status.
absl::StatusOr<RedisReply> ConvertReply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      return ErrorReplyStatus(absl::string_view(r->str, r->len));
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::kNil;
      return out;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      return out;
    case REDIS_REPLY_ARRAY: {
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        auto element = ConvertReply(r->element[i]);
        if (!element.ok()) return element.status();
        out.elements.push_back(*std::move(element));
      }
      return out;
    }
    default:
      return absl::InternalError(absl::StrCat("redis: unexpected reply type ", r->type));
  }
}

struct ReplyDeleter {
  void operator()(void* reply) const {
    if (reply != nullptr) freeReplyObject(reply);
  }
};
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};

timeval ToTimeval(milliseconds ms) {
  ms = std::max(ms, milliseconds(1));  // a zero timeval would mean "no timeout"
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// How long one operation may take: the configured timeout, but never past the deadline of
// the call being served.
struct Budget {
  milliseconds timeout;
  SteadyTime deadline;
  // True when the call's deadline, not the configured timeout, is what limits.
  bool call_deadline_limits = false;

  static Budget For(milliseconds configured) {
    const auto now = std::chrono::steady_clock::now();
    Budget b{configured, now + configured, false};
    const auto call_deadline = CurrentCall().deadline;
    if (call_deadline != std::chrono::system_clock::time_point::max()) {
      const auto remaining = std::chrono::duration_cast<milliseconds>(
          call_deadline - std::chrono::system_clock::now());
      if (remaining < configured) {
        b.timeout = std::max(remaining, milliseconds(0));
        b.deadline = now + b.timeout;
        b.call_deadline_limits = true;
      }
    }
    return b;
  }
  bool expired() const { return timeout <= milliseconds(0); }
};

absl::Status DeadlinePassed() {
  return absl::DeadlineExceededError("the call's deadline passed before Redis answered");
}

// A connection failure that happened because the call's deadline cut the wait short is
// reported as such, so callers can tell "out of time" from "Redis is down".
template <typename T>
absl::StatusOr<T> BlameDeadline(absl::StatusOr<T> result, bool broken, const Budget& budget) {
  if (!result.ok() && broken && budget.call_deadline_limits &&
      std::chrono::steady_clock::now() >= budget.deadline) {
    return DeadlinePassed();
  }
  return result;
}

std::vector<std::string> EvalArgs(absl::string_view verb, const std::string& script_or_sha,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back(verb);
  argv.push_back(script_or_sha);
  argv.push_back(absl::StrCat(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "redis://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError("must start with redis://");
  }
  absl::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError("credentials must be written [username]:password@");
    }
    endpoint.username = std::string(userinfo.substr(0, colon));
    endpoint.password = std::string(userinfo.substr(colon + 1));
  }
  absl::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    hostport = rest.substr(0, slash);
    absl::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (!absl::SimpleAtoi(db, &endpoint.db) || endpoint.db < 0 || endpoint.db > 1000000) {
        return absl::InvalidArgumentError(
            absl::StrCat("database must be a number, got '", db, "'"));
      }
    }
  }
  absl::string_view host = hostport;
  if (size_t colon = hostport.rfind(':'); colon != absl::string_view::npos) {
    host = hostport.substr(0, colon);
    absl::string_view port = hostport.substr(colon + 1);
    if (!absl::SimpleAtoi(port, &endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("port must be 1..65535, got '", port, "'"));
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("host is missing");
  if (host.find_first_of("/?#@ ") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid host '", host, "'"));
  }
  endpoint.host = std::string(host);
  return endpoint;
}

std::string RedisScript::sha() const {
  absl::MutexLock lock(&mu_);
  return sha_;
}

void RedisScript::set_sha(std::string sha) const {
  absl::MutexLock lock(&mu_);
  sha_ = std::move(sha);
}

// One hiredis connection in blocking mode. Any failure at the connection level (refused,
// timed out, reset) leaves hiredis' context in an error state: broken() turns true and the
// pool closes it.
class RedisClient::Connection {
 public:
  static absl::StatusOr<ConnectionPtr> Open(const Options& options, milliseconds timeout) {
    const RedisEndpoint& ep = options.endpoint;
    ConnectionPtr conn(new Connection(ep));
    conn->ctx_.reset(redisConnectWithTimeout(ep.host.c_str(), ep.port, ToTimeval(timeout)));
    if (conn->ctx_ == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", conn->name_));
    }
    if (conn->ctx_->err != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", conn->name_, ": ", conn->ctx_->errstr));
    }
    redisEnableKeepAlive(conn->ctx_.get());
    if (absl::Status s = conn->SetTimeout(options.command_timeout); !s.ok()) return s;
    if (!ep.password.empty()) {
      std::vector<std::string> auth = {"AUTH"};
      if (!ep.username.empty()) auth.push_back(ep.username);
      auth.push_back(ep.password);
      if (auto r = conn->Run(auth); !r.ok()) {
        // The reply text says why (WRONGPASS ...); it never contains the password.
        return absl::UnavailableError(
            absl::StrCat("Redis at ", conn->name_, " refused AUTH: ", r.status().message()));
      }
    }
    if (ep.db != 0) {
      if (auto r = conn->Run({"SELECT", absl::StrCat(ep.db)}); !r.ok()) {
        return absl::UnavailableError(absl::StrCat("Redis at ", conn->name_, " refused SELECT ",
                                                   ep.db, ": ", r.status().message()));
      }
    }
    return conn;
  }

  // Bounds the next reads and writes; only touches the socket when the value changes.
  absl::Status SetTimeout(milliseconds timeout) {
    timeout = std::max(timeout, milliseconds(1));
    if (timeout == timeout_) return absl::OkStatus();
    if (redisSetTimeout(ctx_.get(), ToTimeval(timeout)) != REDIS_OK) {
      broken_ = true;
      return absl::UnavailableError(
          absl::StrCat("cannot set a timeout on the connection to ", name_, ": ", ctx_->errstr));
    }
    timeout_ = timeout;
    return absl::OkStatus();
  }

  absl::StatusOr<RedisReply> Run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    Flatten(args, argv, lens);
    ReplyPtr reply(
        redisCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (reply == nullptr) return ConnectionError();
    return ConvertReply(static_cast<const redisReply*>(reply.get()));
  }

  absl::StatusOr<std::vector<RedisReply>> RunPipeline(
      const std::vector<std::vector<std::string>>& commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& args : commands) {
      Flatten(args, argv, lens);
      if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(),
                                 lens.data()) != REDIS_OK) {
        return ConnectionError();
      }
    }
    // Read every reply even after an error reply, so the connection stays in step.
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    absl::Status first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) return ConnectionError();
      ReplyPtr reply(raw);
      auto converted = ConvertReply(static_cast<const redisReply*>(reply.get()));
      if (!converted.ok()) {
        if (first_error.ok()) first_error = converted.status();
        continue;
      }
      replies.push_back(*std::move(converted));
    }
    if (!first_error.ok()) return first_error;
    return replies;
  }

  bool broken() const { return broken_ || ctx_ == nullptr || ctx_->err != 0; }

  // An idle connection must have nothing to read. When the peer closed it (Redis restarted,
  // idle timeout), the socket is readable (EOF) or in error: it must not be used.
  bool LooksAlive() const {
    if (broken()) return false;
    pollfd p{ctx_->fd, POLLIN, 0};
    const int n = poll(&p, 1, 0);
    return n == 0;
  }

 private:
  explicit Connection(const RedisEndpoint& ep) : name_(absl::StrCat(ep.host, ":", ep.port)) {}

  static void Flatten(const std::vector<std::string>& args, std::vector<const char*>& argv,
                      std::vector<size_t>& lens) {
    argv.clear();
    lens.clear();
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }

  absl::Status ConnectionError() {
    broken_ = true;
    const char* what = (ctx_ != nullptr && ctx_->err != 0) ? ctx_->errstr : "no reply";
    return absl::UnavailableError(absl::StrCat("Redis at ", name_, ": ", what));
  }

  std::string name_;
  std::unique_ptr<redisContext, ContextDeleter> ctx_;
  milliseconds timeout_{0};
  bool broken_ = false;
};

RedisClient::Lease::Lease(RedisClient* client, ConnectionPtr conn)
    : client_(client), conn_(std::move(conn)) {}

RedisClient::Lease::Lease(Lease&& other) noexcept
    : client_(other.client_), conn_(std::move(other.conn_)) {}

RedisClient::Lease::~Lease() {
  if (conn_) client_->Return(std::move(conn_));
}

RedisClient::RedisClient(Options options) : options_(std::move(options)) {}

RedisClient::~RedisClient() = default;

int RedisClient::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

absl::StatusOr<RedisClient::Lease> RedisClient::Acquire(SteadyTime deadline) {
  const absl::Time wait_until =
      absl::Now() + absl::FromChrono(deadline - std::chrono::steady_clock::now());
  absl::MutexLock lock(&mu_);
  for (;;) {
    if (ConnectionPtr conn = TakeIdle()) return Lease(this, std::move(conn));
    if (open_ < options_.pool_size) return OpenAnother();
    if (cv_.WaitWithDeadline(&mu_, wait_until) && idle_.empty() && open_ >= options_.pool_size) {
      return absl::UnavailableError(
          absl::StrCat("all ", options_.pool_size, " Redis connections stayed busy"));
    }
  }
}

RedisClient::ConnectionPtr RedisClient::TakeIdle() {
  while (!idle_.empty()) {
    ConnectionPtr conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->LooksAlive()) return conn;
    --open_;  // closed by the peer; dropped here, reopened by the caller if needed
  }
  return nullptr;
}

absl::StatusOr<RedisClient::Lease> RedisClient::OpenAnother() {
  const auto now = std::chrono::steady_clock::now();
  if (!last_connect_error_.ok() && now - last_connect_failure_ < options_.reconnect_backoff) {
    return last_connect_error_;
  }
  ++open_;
  mu_.Unlock();  // connecting takes a round trip or more: not under the lock
  auto conn = Connect();
  mu_.Lock();
  if (!conn.ok()) {
    --open_;
    last_connect_failure_ = std::chrono::steady_clock::now();
    last_connect_error_ = conn.status();
    cv_.Signal();
    return conn.status();
  }
  last_connect_error_ = absl::OkStatus();
  return Lease(this, *std::move(conn));
}

absl::StatusOr<RedisClient::ConnectionPtr> RedisClient::Connect() {
  Budget budget = Budget::For(options_.connect_timeout);
  if (budget.expired()) return DeadlinePassed();
  return BlameDeadline(Connection::Open(options_, budget.timeout), true, budget);
}

void RedisClient::Return(ConnectionPtr conn) {
  const bool broken = conn->broken();
  {
    absl::MutexLock lock(&mu_);
    if (broken) {
      --open_;
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  cv_.Signal();
  // A broken connection is closed here, outside the lock.
}

absl::StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  Budget acquire = Budget::For(options_.acquire_timeout);
  if (acquire.expired()) return DeadlinePassed();
  auto lease = Acquire(acquire.deadline);
  if (!lease.ok()) return lease.status();
  Budget budget = Budget::For(options_.command_timeout);
  if (budget.expired()) return DeadlinePassed();
  if (absl::Status s = (*lease)->SetTimeout(budget.timeout); !s.ok()) return s;
  auto reply = (*lease)->Run(args);
  return BlameDeadline(std::move(reply), (*lease)->broken(), budget);
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<RedisReply>{};
  Budget acquire = Budget::For(options_.acquire_timeout);
  if (acquire.expired()) return DeadlinePassed();
  auto lease = Acquire(acquire.deadline);
  if (!lease.ok()) return lease.status();
  Budget budget = Budget::For(options_.command_timeout);
  if (budget.expired()) return DeadlinePassed();
  if (absl::Status s = (*lease)->SetTimeout(budget.timeout); !s.ok()) return s;
  auto replies = (*lease)->RunPipeline(commands);
  return BlameDeadline(std::move(replies), (*lease)->broken(), budget);
}

absl::StatusOr<RedisReply> RedisClient::Eval(const RedisScript& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  Budget acquire = Budget::For(options_.acquire_timeout);
  if (acquire.expired()) return DeadlinePassed();
  auto lease = Acquire(acquire.deadline);
  if (!lease.ok()) return lease.status();
  Budget budget = Budget::For(options_.command_timeout);
  if (budget.expired()) return DeadlinePassed();
  if (absl::Status s = (*lease)->SetTimeout(budget.timeout); !s.ok()) return s;

  auto run = [&]() -> absl::StatusOr<RedisReply> {
    std::string sha = script.sha();
    if (sha.empty()) {
      auto loaded = (*lease)->Run({"SCRIPT", "LOAD", script.source()});
      if (!loaded.ok()) return loaded.status();
      if (loaded->type != RedisReply::Type::kString) {
        return absl::InternalError("redis: SCRIPT LOAD did not return a SHA1");
      }
      sha = loaded->str;
      script.set_sha(sha);
    }
    auto reply = (*lease)->Run(EvalArgs("EVALSHA", sha, keys, args));
    if (reply.ok() || reply.status().code() != absl::StatusCode::kNotFound) return reply;
    // NOSCRIPT: Redis restarted or its script cache was flushed. EVAL runs the script and
    // caches it again under the same SHA1.
    return (*lease)->Run(EvalArgs("EVAL", script.source(), keys, args));
  };
  auto reply = run();
  return BlameDeadline(std::move(reply), (*lease)->broken(), budget);
}

absl::Status RedisClient::Ping() {
  auto reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  return absl::OkStatus();
}

}  // namespace mercato
