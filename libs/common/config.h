// Typed configuration from environment variables, validated at startup.
//
// Every read records its problem instead of throwing, so one start-up reports every bad
// variable at once; Finish() returns them, each naming the variable:
//
//   mercato::EnvReader env;
//   int port = env.Port("MERCATO_GRPC_PORT", 50051);
//   std::string db = env.RequiredString("MERCATO_DATABASE_URL");
//   if (absl::Status s = env.Finish(); !s.ok()) { ... exit with s.message() ... }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mercato {

class EnvReader {
 public:
  // Looks a variable up; returns nullptr when unset. Tests pass a map-backed function.
  using Lookup = std::function<const char*(const char*)>;

  EnvReader();
  explicit EnvReader(Lookup lookup);

  // An unset or empty variable yields `fallback`.
  std::string String(std::string_view name, std::string_view fallback);
  // Records an error when unset or empty.
  std::string RequiredString(std::string_view name);
  // A secret: same as RequiredString, but the value is never echoed in an error.
  std::string RequiredSecret(std::string_view name, size_t min_length);
  int64_t Int(std::string_view name, int64_t fallback, int64_t min, int64_t max);
  int Port(std::string_view name, int fallback);
  bool Bool(std::string_view name, bool fallback);
  std::chrono::milliseconds Millis(std::string_view name, std::chrono::milliseconds fallback,
                                   std::chrono::milliseconds min, std::chrono::milliseconds max);
  // One of `allowed` (compared case-sensitively).
  std::string OneOf(std::string_view name, std::string_view fallback,
                    const std::vector<std::string_view>& allowed);

  // Records a problem found by the caller's own cross-field validation.
  void AddError(std::string_view name, std::string_view problem);

  // OK, or INVALID_ARGUMENT listing every problem ("MERCATO_GRPC_PORT: ...; ...").
  absl::Status Finish() const;

  // Names of every variable read so far, in order (for the configuration drift tests).
  const std::vector<std::string>& names_read() const { return names_read_; }

 private:
  const char* Get(std::string_view name);

  Lookup lookup_;
  std::vector<std::string> errors_;
  std::vector<std::string> names_read_;
};

// Settings every gRPC service shares.
struct ServerConfig {
  int grpc_port = 0;
  int admin_port = 0;
  // SIGTERM -> health NOT_SERVING -> wait this long for in-flight RPCs -> exit 0.
  std::chrono::milliseconds shutdown_grace{10000};
  // Default deadline of an outgoing RPC (never past the incoming call's deadline).
  std::chrono::milliseconds rpc_timeout{3000};
  std::string log_level = "info";
  // Threads running blocking handler work, and the most calls running or queued before new
  // ones are refused with RESOURCE_EXHAUSTED (load shedding).
  int worker_threads = 16;
  int max_in_flight = 256;
};

// Reads MERCATO_GRPC_PORT, MERCATO_ADMIN_PORT, MERCATO_SHUTDOWN_GRACE_MS, MERCATO_RPC_TIMEOUT_MS,
// MERCATO_LOG_LEVEL, MERCATO_WORKER_THREADS, MERCATO_MAX_IN_FLIGHT.
ServerConfig ReadServerConfig(EnvReader& env, int default_grpc_port, int default_admin_port);

// Prints the configuration error to stderr and exits with status 2. For main() only.
[[noreturn]] void ExitWithConfigError(std::string_view service, const absl::Status& status);

}  // namespace mercato
