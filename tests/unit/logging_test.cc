#include "common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "common/call_context.h"

namespace mercato {
namespace {

TEST(LoggingTest, EveryLineIsAJsonObjectWithTheContextFields) {
  ::testing::internal::CaptureStdout();
  InitLogging("catalog", "info");
  {
    ScopedCallContext scope(
        CallContext{.request_id = "req-1", .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"});
    spdlog::info("hello \"quoted\" {}", 42);
  }
  spdlog::debug("not at info level");
  spdlog::warn("no context");
  const std::string out = ::testing::internal::GetCapturedStdout();
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out;
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["service"], "catalog");
  EXPECT_EQ(first["request_id"], "req-1");
  EXPECT_EQ(first["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(first["message"], "hello \"quoted\" 42");
  const std::string ts = first["timestamp"];
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-11-26T10:00:00.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
  auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warning");
  EXPECT_EQ(second["request_id"], "");
}

TEST(LoggingTest, AbseilTypesFormat) {
  ::testing::internal::CaptureStdout();
  InitLogging("x", "info");
  spdlog::info("{} / {}", absl::string_view("view"), absl::NotFoundError("gone"));
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(nlohmann::json::parse(out)["message"], "view / NOT_FOUND: gone");
}

// Printable ASCII takes the streaming writer, anything else nlohmann's checked path: both give
// one JSON object per line with the same fields and the message intact (invalid UTF-8 replaced).
TEST(LoggingTest, EveryKindOfMessageIsOneValidJsonLine) {
  ::testing::internal::CaptureStdout();
  InitLogging("svc", "info");
  spdlog::info("plain \\ back\"slash");
  spdlog::info("tab\there, line\nbreak, bell\x07, unit separator\x1f");
  spdlog::info("caf\xc3\xa9 \xe2\x82\xac");
  spdlog::info("bad \xff\xfe utf-8");
  const std::string out = ::testing::internal::GetCapturedStdout();
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out;
  std::vector<std::string> messages;
  for (const auto& line : lines) {
    auto json = nlohmann::json::parse(line);
    ASSERT_EQ(json.size(), 6u) << line;
    EXPECT_EQ(json["service"], "svc");
    messages.push_back(json["message"]);
  }
  EXPECT_EQ(messages[0], "plain \\ back\"slash");
  EXPECT_EQ(messages[1], "tab\there, line\nbreak, bell\x07, unit separator\x1f");
  EXPECT_EQ(messages[2], "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(messages[3], "bad \xef\xbf\xbd\xef\xbf\xbd utf-8");  // U+FFFD twice
}

TEST(LoggingTest, TimestampsKeepMillisecondsAcrossSeconds) {
  using std::chrono::milliseconds;
  const std::chrono::system_clock::time_point t0{milliseconds(1764151199999)};
  ::testing::internal::CaptureStdout();
  InitLogging("svc", "info");
  for (auto t : {t0, t0 + milliseconds(1), t0 + milliseconds(1001)}) {
    spdlog::default_logger_raw()->log(t, spdlog::source_loc{}, spdlog::level::info, "tick");
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["timestamp"], "2025-11-26T09:59:59.999Z");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["timestamp"], "2025-11-26T10:00:00.000Z");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["timestamp"], "2025-11-26T10:00:01.000Z");
}

}  // namespace
}  // namespace mercato
