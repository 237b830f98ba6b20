#include "catalog/list_page_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace mercato::catalog {
namespace {

ListPageCache::Bytes Page(const std::string& text) {
  return std::make_shared<const std::string>(text);
}

TEST(ListPageCacheTest, FindsWhatWasStoredAtTheSameGeneration) {
  ListPageCache cache;
  const std::string key = ListPageCache::Key(20, "kitchen", "");
  cache.Insert(key, 7, Page("page one"));
  ListPageCache::Bytes found = cache.Find(key, 7);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, "page one");
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "garden", ""), 7), nullptr);
  EXPECT_EQ(cache.Find(ListPageCache::Key(21, "kitchen", ""), 7), nullptr);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "kitchen", "token"), 7), nullptr);
}

TEST(ListPageCacheTest, AnotherGenerationIsAMiss) {
  ListPageCache cache;
  const std::string key = ListPageCache::Key(20, "", "");
  cache.Insert(key, 7, Page("at seven"));
  EXPECT_EQ(cache.Find(key, 8), nullptr);
  EXPECT_EQ(cache.Find(key, 6), nullptr);
  ASSERT_NE(cache.Find(key, 7), nullptr);
}

TEST(ListPageCacheTest, ANewerGenerationDropsEveryOlderEntry) {
  ListPageCache cache;
  cache.Insert(ListPageCache::Key(20, "", ""), 7, Page("a"));
  cache.Insert(ListPageCache::Key(20, "kitchen", ""), 7, Page("b"));
  cache.Insert(ListPageCache::Key(20, "garden", ""), 8, Page("c"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "", ""), 7), nullptr);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "", ""), 8), nullptr);
  ASSERT_NE(cache.Find(ListPageCache::Key(20, "garden", ""), 8), nullptr);
}

TEST(ListPageCacheTest, APageReadAtAnOlderGenerationIsNotStored) {
  ListPageCache cache;
  cache.Insert(ListPageCache::Key(20, "", ""), 8, Page("new"));
  cache.Insert(ListPageCache::Key(20, "kitchen", ""), 7, Page("stale"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "kitchen", ""), 7), nullptr);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "kitchen", ""), 8), nullptr);
}

TEST(ListPageCacheTest, KeysDoNotRunCategoryAndTokenTogether) {
  EXPECT_NE(ListPageCache::Key(20, "ab", "c"), ListPageCache::Key(20, "a", "bc"));
  EXPECT_NE(ListPageCache::Key(2, "0", ""), ListPageCache::Key(20, "", ""));
}

TEST(ListPageCacheTest, TheEntryBoundEvictsTheOldestFirst) {
  ListPageCache cache({.max_entries = 3, .max_bytes = 1 << 20});
  for (int i = 0; i < 5; ++i) {
    cache.Insert(ListPageCache::Key(20, std::to_string(i), ""), 1, Page("page"));
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "0", ""), 1), nullptr);
  EXPECT_EQ(cache.Find(ListPageCache::Key(20, "1", ""), 1), nullptr);
  for (int i = 2; i < 5; ++i) {
    EXPECT_NE(cache.Find(ListPageCache::Key(20, std::to_string(i), ""), 1), nullptr) << i;
  }
}

TEST(ListPageCacheTest, TheByteBoundCountsKeysAndPages) {
  const std::string page(100, 'x');
  const std::string key_a = ListPageCache::Key(20, "a", "");  // "20:1:a": 6 bytes
  const std::string key_b = ListPageCache::Key(20, "b", "");
  const std::string key_c = ListPageCache::Key(20, "c", "");
  ListPageCache cache({.max_entries = 100, .max_bytes = 2 * (6 + 100)});
  cache.Insert(key_a, 1, Page(page));
  cache.Insert(key_b, 1, Page(page));
  EXPECT_EQ(cache.bytes(), 212u);
  cache.Insert(key_c, 1, Page(page));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), 212u);
  EXPECT_EQ(cache.Find(key_a, 1), nullptr);
  EXPECT_NE(cache.Find(key_b, 1), nullptr);
  EXPECT_NE(cache.Find(key_c, 1), nullptr);
}

TEST(ListPageCacheTest, APageLargerThanTheBoundIsNotStored) {
  ListPageCache cache({.max_entries = 100, .max_bytes = 50});
  cache.Insert(ListPageCache::Key(20, "", ""), 1, Page(std::string(100, 'x')));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace mercato::catalog
