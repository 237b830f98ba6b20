// Test support: child processes (the real service binaries) with their own environment and
// a log file, killed and reaped when the handle goes away.
//
//   ChildProcess catalog(BinaryPath("catalog"), {{"MERCATO_GRPC_PORT", "50123"}}, "catalog");
//   ASSERT_TRUE(catalog.Start().ok());
//   ASSERT_TRUE(WaitForGrpcHealthy("127.0.0.1:50123", 10s).ok());
//   catalog.Signal(SIGTERM); int status = catalog.Wait();
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mercato::testing {

// Absolute path of a service binary built in this build tree ("catalog", "gateway", ...).
std::string BinaryPath(const std::string& service);
// The repository root (for the storefront files, seed data, ...).
std::string SourceDir();
// A directory for this test's logs and data under the build tree, created on demand.
std::string ScratchDir(const std::string& name);

class ChildProcess {
 public:
  // `env` is added to the test's own environment. Output goes to <ScratchDir>/<name>.log.
  ChildProcess(std::string binary, std::map<std::string, std::string> env, std::string name,
               std::vector<std::string> args = {});
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  absl::Status Start();
  bool Running();
  // Sends a signal (SIGTERM, SIGKILL, ...).
  void Signal(int signal_number);
  // Waits for exit and returns the raw wait status; -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL and wait.
  void Kill();
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // The whole log written so far.
  std::string ReadLog() const;

 private:
  std::string binary_;
  std::map<std::string, std::string> env_;
  std::string name_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// A TCP port that was free a moment ago (bind to port 0 and release).
int FreePort();
// Polls until something accepts connections on 127.0.0.1:port.
absl::Status WaitForPort(int port, std::chrono::milliseconds timeout);
// Polls grpc.health.v1 Check until SERVING.
absl::Status WaitForGrpcHealthy(const std::string& address, std::chrono::milliseconds timeout);
// Runs a shell command, returns its exit status and (combined) output.
int RunCommand(const std::string& command, std::string* output = nullptr);

}  // namespace mercato::testing
