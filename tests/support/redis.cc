#include "support/redis.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace mercato::testing {

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() {
  std::unique_ptr<RedisServer> redis(new RedisServer());
  redis->port_ = FreePort();
  if (absl::Status s = redis->Restart(); !s.ok()) return s;
  return redis;
}

RedisServer* RedisServer::Shared() {
  static RedisServer* shared = [] {
    auto redis = Start();
    if (!redis.ok()) {
      std::cerr << "cannot start Redis for tests: " << redis.status() << std::endl;
      std::abort();
    }
    RedisServer* raw = redis->release();
    std::atexit([] { delete shared; });
    return raw;
  }();
  return shared;
}

absl::Status RedisServer::Restart() {
  Stop();
  process_ = std::make_unique<ChildProcess>(
      "/usr/bin/redis-server", std::map<std::string, std::string>{}, "redis",
      std::vector<std::string>{"--port", absl::StrCat(port_), "--bind", "127.0.0.1", "--save",
                               "", "--appendonly", "no"});
  if (absl::Status s = process_->Start(); !s.ok()) return s;
  return WaitForPort(port_, std::chrono::seconds(10));
}

void RedisServer::Stop() {
  if (process_) process_->Kill();
  process_.reset();
}

RedisServer::~RedisServer() { Stop(); }

std::string RedisServer::Url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

std::string RedisServer::Cli(const std::string& args) const {
  std::string out;
  RunCommand(absl::StrCat("redis-cli -p ", port_, " ", args), &out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace mercato::testing
