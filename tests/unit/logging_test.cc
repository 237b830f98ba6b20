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

}  // namespace
}  // namespace mercato
