#include "common/config.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mercato {

EnvReader::EnvReader() : EnvReader([](const char* name) { return std::getenv(name); }) {}

EnvReader::EnvReader(Lookup lookup) : lookup_(std::move(lookup)) {}

const char* EnvReader::Get(std::string_view name) {
  std::string key(name);
  names_read_.push_back(key);
  const char* value = lookup_(key.c_str());
  if (value == nullptr || *value == '\0') return nullptr;
  return value;
}

std::string EnvReader::String(std::string_view name, std::string_view fallback) {
  const char* value = Get(name);
  return value ? std::string(value) : std::string(fallback);
}

std::string EnvReader::RequiredString(std::string_view name) {
  const char* value = Get(name);
  if (value == nullptr) {
    AddError(name, "is required but not set");
    return "";
  }
  return value;
}

std::string EnvReader::RequiredSecret(std::string_view name, size_t min_length) {
  const char* value = Get(name);
  if (value == nullptr) {
    AddError(name, "is required but not set");
    return "";
  }
  std::string secret(value);
  if (secret.size() < min_length) {
    AddError(name, absl::StrCat("must be at least ", min_length, " characters"));
  }
  return secret;
}

int64_t EnvReader::Int(std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  const char* value = Get(name);
  if (value == nullptr) return fallback;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed)) {
    AddError(name, absl::StrCat("must be an integer, got '", value, "'"));
    return fallback;
  }
  if (parsed < min || parsed > max) {
    AddError(name, absl::StrCat("must be between ", min, " and ", max, ", got ", parsed));
    return fallback;
  }
  return parsed;
}

int EnvReader::Port(std::string_view name, int fallback) {
  return static_cast<int>(Int(name, fallback, 0, 65535));
}

bool EnvReader::Bool(std::string_view name, bool fallback) {
  const char* value = Get(name);
  if (value == nullptr) return fallback;
  std::string v = absl::AsciiStrToLower(value);
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  AddError(name, absl::StrCat("must be true or false, got '", value, "'"));
  return fallback;
}

std::chrono::milliseconds EnvReader::Millis(std::string_view name,
                                            std::chrono::milliseconds fallback,
                                            std::chrono::milliseconds min,
                                            std::chrono::milliseconds max) {
  return std::chrono::milliseconds(Int(name, fallback.count(), min.count(), max.count()));
}

std::string EnvReader::OneOf(std::string_view name, std::string_view fallback,
                             const std::vector<std::string_view>& allowed) {
  const char* value = Get(name);
  if (value == nullptr) return std::string(fallback);
  for (std::string_view a : allowed) {
    if (a == value) return std::string(value);
  }
  std::vector<std::string> names(allowed.begin(), allowed.end());
  AddError(name, absl::StrCat("must be one of ", absl::StrJoin(names, ", "), ", got '", value,
                              "'"));
  return std::string(fallback);
}

void EnvReader::AddError(std::string_view name, std::string_view problem) {
  errors_.push_back(std::string(name) + " " + std::string(problem));
}

absl::Status EnvReader::Finish() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
}

ServerConfig ReadServerConfig(EnvReader& env, int default_grpc_port, int default_admin_port) {
  using std::chrono::milliseconds;
  ServerConfig c;
  c.grpc_port = env.Port("MERCATO_GRPC_PORT", default_grpc_port);
  c.admin_port = env.Port("MERCATO_ADMIN_PORT", default_admin_port);
  c.shutdown_grace =
      env.Millis("MERCATO_SHUTDOWN_GRACE_MS", milliseconds(10000), milliseconds(0),
                 milliseconds(600000));
  c.rpc_timeout = env.Millis("MERCATO_RPC_TIMEOUT_MS", milliseconds(3000), milliseconds(10),
                             milliseconds(120000));
  c.log_level = env.OneOf("MERCATO_LOG_LEVEL", "info",
                          {"trace", "debug", "info", "warn", "error", "off"});
  c.worker_threads = static_cast<int>(env.Int("MERCATO_WORKER_THREADS", 16, 1, 1024));
  c.max_in_flight = static_cast<int>(env.Int("MERCATO_MAX_IN_FLIGHT", 256, 1, 1000000));
  return c;
}

void ExitWithConfigError(std::string_view service, const absl::Status& status) {
  std::fprintf(stderr, "%.*s: invalid configuration: %.*s\n", static_cast<int>(service.size()),
               service.data(), static_cast<int>(status.message().size()),
               status.message().data());
  std::exit(2);
}

}  // namespace mercato
