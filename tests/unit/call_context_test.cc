#include "common/call_context.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/ids.h"

namespace mercato {
namespace {

TEST(TraceparentTest, AcceptsOnlyWellFormedValues) {
  EXPECT_TRUE(IsValidTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsValidTraceparent(""));
  EXPECT_FALSE(IsValidTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsValidTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsValidTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(IsValidTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsValidTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
}

TEST(TraceparentTest, ChildKeepsTraceIdAndChangesSpan) {
  const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::string child = ChildTraceparent(parent);
  EXPECT_TRUE(IsValidTraceparent(child));
  EXPECT_EQ(TraceIdOf(child), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(child.substr(36, 16), parent.substr(36, 16));
  EXPECT_EQ(child.substr(53), "01");
}

TEST(TraceparentTest, NewTracesAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    std::string tp = NewTraceparent();
    ASSERT_TRUE(IsValidTraceparent(tp)) << tp;
    ids.insert(TraceIdOf(tp));
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(CallContextTest, ScopesNestAndAreThreadLocal) {
  EXPECT_EQ(CurrentCall().request_id, "");
  {
    ScopedCallContext outer(CallContext{.request_id = "a"});
    EXPECT_EQ(CurrentCall().request_id, "a");
    {
      ScopedCallContext inner(CallContext{.request_id = "b", .user_id = "u"});
      EXPECT_EQ(CurrentCall().request_id, "b");
      EXPECT_EQ(CurrentCall().user_id, "u");
      std::string seen_by_other_thread = "unset";
      std::thread([&] { seen_by_other_thread = CurrentCall().request_id; }).join();
      EXPECT_EQ(seen_by_other_thread, "");
    }
    EXPECT_EQ(CurrentCall().request_id, "a");
    EXPECT_EQ(CurrentCall().user_id, "");
  }
  EXPECT_EQ(CurrentCall().request_id, "");
}

TEST(IdsTest, UuidsAreVersion4AndRecognised) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    ASSERT_EQ(id[14], '4');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c1"));
  EXPECT_FALSE(IsUuid("3f1c9a2e-8d4b-4c1e-9a57_0b6e2d9f4c13"));
  EXPECT_TRUE(IsUuid("3F1C9A2E-8D4B-4C1E-9A57-0B6E2D9F4C13"));
}

// Request ids come from per-thread generators: version 4, RFC 4122 variant, and distinct
// across threads too (each thread's generator is seeded on its own).
TEST(IdsTest, RequestIdsAreVersion4AndDistinctAcrossThreads) {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 500; ++i) ids.push_back(NewRequestId());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  for (const auto& ids : per_thread) {
    for (const auto& id : ids) {
      ASSERT_TRUE(IsUuid(id)) << id;
      ASSERT_EQ(id[14], '4') << id;
      ASSERT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
      seen.insert(id);
    }
  }
  EXPECT_EQ(seen.size(), 2000u);
  EXPECT_EQ(CorrelationHex(8).size(), 16u);
  EXPECT_EQ(CorrelationHex(13).size(), 26u);
  EXPECT_NE(CorrelationHex(16), CorrelationHex(16));
}

TEST(IdsTest, TokensAndHexHaveTheRequestedLength) {
  EXPECT_EQ(RandomHex(8).size(), 16u);
  EXPECT_EQ(RandomToken(32).size(), 43u);  // unpadded base64 of 32 bytes
  EXPECT_NE(RandomToken(32), RandomToken(32));
  EXPECT_EQ(RandomToken(32).find_first_of("+/="), std::string::npos);
}

}  // namespace
}  // namespace mercato
