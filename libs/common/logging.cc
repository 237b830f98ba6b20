#include "common/logging.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "common/call_context.h"

namespace mercato {
namespace {

// "2026-11-26T10:00:00.123Z". The part up to the seconds is formatted once per second and
// thread; a log line then costs two small copies instead of a format call.
std::string IsoTimestamp(std::chrono::system_clock::time_point tp) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  thread_local std::time_t cached_secs = -1;
  thread_local std::string cached_prefix;  // "2026-11-26T10:00:00"
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    cached_prefix = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  const int millis = static_cast<int>(ms % 1000);
  const char fraction[] = {'.', static_cast<char>('0' + millis / 100),
                           static_cast<char>('0' + millis / 10 % 10),
                           static_cast<char>('0' + millis % 10), 'Z'};
  std::string out = cached_prefix;
  out.append(fraction, sizeof fraction);
  return out;
}

// Text RapidJSON's writer may take as is: printable ASCII only. Anything else (UTF-8, invalid
// bytes, control characters) goes through nlohmann, which replaces invalid UTF-8.
bool IsPlainAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// One log line as a JSON object, fields in this order.
struct LogLine {
  std::string_view timestamp, level, service, request_id, trace_id, message;

  bool IsPlainAscii() const {
    return mercato::IsPlainAscii(request_id) && mercato::IsPlainAscii(trace_id) &&
           mercato::IsPlainAscii(message) && mercato::IsPlainAscii(service);
  }

  template <typename Put>
  void Fields(Put put) const {
    put("timestamp", timestamp);
    put("level", level);
    put("service", service);
    put("request_id", request_id);
    put("trace_id", trace_id);
    put("message", message);
  }

  // The common case: RapidJSON's streaming writer, no document built.
  void WriteFast(spdlog::memory_buf_t& dest) const {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    Fields([&writer](const char* key, std::string_view value) {
      writer.Key(key);
      writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    });
    writer.EndObject();
    dest.append(buffer.GetString(), buffer.GetString() + buffer.GetSize());
    dest.push_back('\n');
  }

  // Anything else: invalid UTF-8 in a message is replaced rather than throwing from a log call.
  void WriteChecked(spdlog::memory_buf_t& dest) const {
    nlohmann::ordered_json line;
    Fields([&line](const char* key, std::string_view value) { line[key] = value; });
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const CallContext& call = CurrentCall();
    const std::string timestamp = IsoTimestamp(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    const LogLine line{.timestamp = timestamp,
                       .level = std::string_view(level.data(), level.size()),
                       .service = service_,
                       .request_id = call.request_id,
                       .trace_id = call.trace_id,
                       .message = std::string_view(msg.payload.data(), msg.payload.size())};
    if (line.IsPlainAscii()) {
      line.WriteFast(dest);
    } else {
      line.WriteChecked(dest);
    }
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
