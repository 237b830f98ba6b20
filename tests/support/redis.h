// Test support: a private Redis server on a free port, for one test binary.
//
//   RedisServer* redis = RedisServer::Shared();
//   std::string url = redis->Url();   // redis://127.0.0.1:<port>
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "support/process.h"

namespace mercato::testing {

class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();
  static RedisServer* Shared();
  ~RedisServer();

  int port() const { return port_; }
  std::string Url() const;
  // Runs redis-cli with `args` and returns its output without the trailing newline.
  std::string Cli(const std::string& args) const;
  // Stops the server (to test Redis being down) and starts it again on the same port.
  void Stop();
  absl::Status Restart();

 private:
  RedisServer() = default;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mercato::testing
