#include "common/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "common/call_context.h"

namespace mercato {
namespace {

std::string IsoTimestamp(std::chrono::system_clock::time_point tp) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>(ms % 1000));
}

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const CallContext& call = CurrentCall();
    nlohmann::ordered_json line;
    line["timestamp"] = IsoTimestamp(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view(level.data(), level.size());
    line["service"] = service_;
    line["request_id"] = call.request_id;
    line["trace_id"] = call.trace_id;
    line["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    // Invalid UTF-8 in a message is replaced rather than throwing from a log call.
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  std::string service_;
};

}  // namespace

void InitLogging(std::string_view service, std::string_view level) {
  spdlog::drop(std::string(service));
  auto logger = spdlog::stdout_logger_mt(std::string(service));
  logger->set_formatter(std::make_unique<JsonFormatter>(std::string(service)));
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace mercato
