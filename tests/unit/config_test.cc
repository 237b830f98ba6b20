#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace mercato {
namespace {

using ::testing::HasSubstr;

EnvReader ReaderFor(std::map<std::string, std::string> vars) {
  auto storage = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return EnvReader([storage](const char* name) -> const char* {
    auto it = storage->find(name);
    return it == storage->end() ? nullptr : it->second.c_str();
  });
}

TEST(EnvReaderTest, UnsetVariablesTakeTheirDefaults) {
  EnvReader env = ReaderFor({});
  EXPECT_EQ(env.String("A", "x"), "x");
  EXPECT_EQ(env.Int("B", 7, 0, 10), 7);
  EXPECT_EQ(env.Port("C", 8080), 8080);
  EXPECT_TRUE(env.Bool("D", true));
  EXPECT_EQ(env.Millis("E", std::chrono::milliseconds(5), std::chrono::milliseconds(0),
                       std::chrono::milliseconds(10))
                .count(),
            5);
  EXPECT_TRUE(env.Finish().ok());
}

TEST(EnvReaderTest, MissingRequiredVariableIsNamed) {
  EnvReader env = ReaderFor({});
  env.RequiredString("MERCATO_DATABASE_URL");
  absl::Status s = env.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "MERCATO_DATABASE_URL is required but not set");
}

TEST(EnvReaderTest, EmptyRequiredVariableCountsAsMissing) {
  EnvReader env = ReaderFor({{"X", ""}});
  env.RequiredString("X");
  EXPECT_EQ(env.Finish().message(), "X is required but not set");
}

TEST(EnvReaderTest, BadValuesAreAllReportedWithTheirNames) {
  EnvReader env = ReaderFor({{"PORT", "abc"}, {"N", "500"}, {"FLAG", "maybe"}, {"L", "loud"}});
  EXPECT_EQ(env.Port("PORT", 1), 1);
  EXPECT_EQ(env.Int("N", 3, 0, 100), 3);
  EXPECT_FALSE(env.Bool("FLAG", false));
  EXPECT_EQ(env.OneOf("L", "info", {"info", "debug"}), "info");
  const std::string message(env.Finish().message());
  EXPECT_THAT(message, HasSubstr("PORT must be an integer, got 'abc'"));
  EXPECT_THAT(message, HasSubstr("N must be between 0 and 100, got 500"));
  EXPECT_THAT(message, HasSubstr("FLAG must be true or false, got 'maybe'"));
  EXPECT_THAT(message, HasSubstr("L must be one of info, debug, got 'loud'"));
}

TEST(EnvReaderTest, PortOutOfRangeIsRejected) {
  EnvReader env = ReaderFor({{"P", "70000"}});
  env.Port("P", 1);
  EXPECT_EQ(env.Finish().message(), "P must be between 0 and 65535, got 70000");
}

TEST(EnvReaderTest, BoolAcceptsCommonSpellings) {
  EnvReader env = ReaderFor({{"A", "yes"}, {"B", "OFF"}, {"C", "1"}, {"D", "false"}});
  EXPECT_TRUE(env.Bool("A", false));
  EXPECT_FALSE(env.Bool("B", true));
  EXPECT_TRUE(env.Bool("C", false));
  EXPECT_FALSE(env.Bool("D", true));
  EXPECT_TRUE(env.Finish().ok());
}

TEST(EnvReaderTest, SecretsAreCheckedForLengthButNeverEchoed) {
  EnvReader env = ReaderFor({{"SECRET", "hunter2"}});
  env.RequiredSecret("SECRET", 32);
  const std::string message(env.Finish().message());
  EXPECT_EQ(message, "SECRET must be at least 32 characters");
  EXPECT_THAT(message, ::testing::Not(HasSubstr("hunter2")));
}

TEST(EnvReaderTest, RecordsTheNamesItRead) {
  EnvReader env = ReaderFor({});
  env.String("A", "");
  env.Int("B", 0, 0, 1);
  EXPECT_THAT(env.names_read(), ::testing::ElementsAre("A", "B"));
}

TEST(ServerConfigTest, DefaultsAndOverrides) {
  EnvReader env = ReaderFor({{"MERCATO_GRPC_PORT", "6000"}, {"MERCATO_LOG_LEVEL", "debug"}});
  ServerConfig c = ReadServerConfig(env, 50051, 9101);
  ASSERT_TRUE(env.Finish().ok());
  EXPECT_EQ(c.grpc_port, 6000);
  EXPECT_EQ(c.admin_port, 9101);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.shutdown_grace.count(), 10000);
  EXPECT_EQ(c.rpc_timeout.count(), 3000);
}

}  // namespace
}  // namespace mercato
