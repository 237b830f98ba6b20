// Integration tests of RedisCartStore against a real Redis: atomic adds under concurrency,
// the 1..99 and line limits, guest-cart TTLs, merge semantics, Redis going away.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cart/redis_cart_store.h"
#include "common/ids.h"
#include "support/redis.h"

namespace mercato::cart {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;

constexpr char kSkillet[] = "906766e3-2fc8-5b37-973c-cf6e7898c8fd";
constexpr char kKnife[] = "00abe53a-e36e-5189-bd76-705694930d0a";
constexpr char kApron[] = "00b40ca3-186a-5a2e-92e8-57cbb289560a";
constexpr int64_t kGuestTtl = 7 * 24 * 3600;
const CartLimits kLimits{99, 100};

int QuantityIn(const StoredLines& lines, const std::string& product_id) {
  for (const auto& l : lines) {
    if (l.product_id == product_id) return l.quantity;
  }
  return 0;
}

class RedisCartStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Shared();
    redis_->Cli("FLUSHALL");
    RedisClient::Options options;
    options.endpoint = *ParseRedisUrl(redis_->Url());
    options.pool_size = 8;
    options.reconnect_backoff = milliseconds(50);
    client_ = std::make_unique<RedisClient>(options);
    store_ = std::make_unique<RedisCartStore>(*client_);
  }

  int64_t Ttl(const CartRef& cart) {
    int64_t ttl = 0;
    EXPECT_TRUE(absl::SimpleAtoi(redis_->Cli("TTL " + store_->KeyOf(cart)), &ttl));
    return ttl;
  }

  RedisServer* redis_ = nullptr;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisCartStore> store_;
  const CartRef guest_ = CartRef::Guest(RandomToken(32));
  const CartRef user_ = CartRef::User("5b0e9d2a-6a53-4b8e-9d0e-2f1c3a4b5c6d");
};

TEST_F(RedisCartStoreTest, KeysNameTheKindOfCart) {
  EXPECT_EQ(store_->KeyOf(CartRef::User("u1")), "mercato:cart:u:u1");
  EXPECT_EQ(store_->KeyOf(CartRef::Guest("g1")), "mercato:cart:g:g1");
}

TEST_F(RedisCartStoreTest, UnknownCartIsEmpty) {
  auto lines = store_->Get(CartRef::Guest(RandomToken(32)));
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_TRUE(lines->empty());
}

TEST_F(RedisCartStoreTest, AddCreatesAndThenAddsToTheLine) {
  auto first = store_->Add(guest_, kSkillet, 2, kLimits);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->outcome, AddResult::Outcome::kAdded);
  EXPECT_EQ(first->previous_quantity, 0);
  EXPECT_EQ(first->lines, (StoredLines{{kSkillet, 2}}));

  ASSERT_TRUE(store_->Add(guest_, kKnife, 1, kLimits).ok());
  auto third = store_->Add(guest_, kSkillet, 3, kLimits);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->previous_quantity, 2);
  EXPECT_EQ(QuantityIn(third->lines, kSkillet), 5);
  EXPECT_EQ(QuantityIn(third->lines, kKnife), 1);
  EXPECT_EQ(third->lines.size(), 2u);
  EXPECT_EQ(redis_->Cli(absl::StrCat("HGET ", store_->KeyOf(guest_), " ", kSkillet)), "5");
}

TEST_F(RedisCartStoreTest, TwentyConcurrentAddsOfOneGiveExactlyTwenty) {
  constexpr int kThreads = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = store_->Add(guest_, kSkillet, 1, kLimits);
      if (!r.ok() || r->outcome != AddResult::Outcome::kAdded) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto lines = store_->Get(guest_);
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_EQ(*lines, (StoredLines{{kSkillet, 20}}));
}

TEST_F(RedisCartStoreTest, TheCapHoldsUnderConcurrentAdds) {
  // 20 threads each add 10: exactly 9 fit under 99, the other 11 are refused.
  constexpr int kThreads = 20;
  std::atomic<int> added{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = store_->Add(user_, kSkillet, 10, kLimits);
      if (!r.ok()) return;
      if (r->outcome == AddResult::Outcome::kAdded) ++added;
      if (r->outcome == AddResult::Outcome::kQuantityOutOfRange) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(added.load(), 9);
  EXPECT_EQ(refused.load(), 11);
  EXPECT_EQ(QuantityIn(*store_->Get(user_), kSkillet), 90);
}

TEST_F(RedisCartStoreTest, AddingPast99IsRefusedAndChangesNothing) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 98, kLimits).ok());
  auto over = store_->Add(guest_, kSkillet, 2, kLimits);
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_EQ(over->outcome, AddResult::Outcome::kQuantityOutOfRange);
  EXPECT_EQ(over->previous_quantity, 98);
  EXPECT_EQ(QuantityIn(over->lines, kSkillet), 98);
  auto to_cap = store_->Add(guest_, kSkillet, 1, kLimits);
  ASSERT_TRUE(to_cap.ok()) << to_cap.status();
  EXPECT_EQ(to_cap->outcome, AddResult::Outcome::kAdded);
  EXPECT_EQ(QuantityIn(to_cap->lines, kSkillet), 99);
  auto refused = store_->Add(guest_, kSkillet, 1, kLimits);
  EXPECT_EQ(refused->outcome, AddResult::Outcome::kQuantityOutOfRange);
  EXPECT_EQ(QuantityIn(*store_->Get(guest_), kSkillet), 99);
}

TEST_F(RedisCartStoreTest, NegativeDeltaThatWouldEmptyTheLineIsRefused) {
  auto r = store_->Add(guest_, kSkillet, 0, kLimits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, AddResult::Outcome::kQuantityOutOfRange);
  EXPECT_EQ(redis_->Cli("EXISTS " + store_->KeyOf(guest_)), "0");
}

TEST_F(RedisCartStoreTest, LineLimitRefusesNewLinesOnly) {
  const CartLimits two_lines{99, 2};
  ASSERT_EQ(store_->Add(guest_, kSkillet, 1, two_lines)->outcome, AddResult::Outcome::kAdded);
  ASSERT_EQ(store_->Add(guest_, kKnife, 1, two_lines)->outcome, AddResult::Outcome::kAdded);
  auto third = store_->Add(guest_, kApron, 1, two_lines);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->outcome, AddResult::Outcome::kTooManyLines);
  EXPECT_EQ(third->lines.size(), 2u);
  EXPECT_EQ(store_->Add(guest_, kKnife, 1, two_lines)->outcome, AddResult::Outcome::kAdded);
}

TEST_F(RedisCartStoreTest, GuestCartsExpireAfterSevenDaysWithoutUse) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 1, kLimits).ok());
  int64_t ttl = Ttl(guest_);
  EXPECT_GT(ttl, kGuestTtl - 10);
  EXPECT_LE(ttl, kGuestTtl);

  // Every use starts the period again: a read...
  redis_->Cli("EXPIRE " + store_->KeyOf(guest_) + " 100");
  ASSERT_TRUE(store_->Get(guest_).ok());
  EXPECT_GT(Ttl(guest_), kGuestTtl - 10);
  // ... and each kind of change.
  redis_->Cli("EXPIRE " + store_->KeyOf(guest_) + " 100");
  ASSERT_TRUE(store_->Set(guest_, kSkillet, 4).ok());
  EXPECT_GT(Ttl(guest_), kGuestTtl - 10);
  ASSERT_TRUE(store_->Add(guest_, kKnife, 1, kLimits).ok());
  redis_->Cli("EXPIRE " + store_->KeyOf(guest_) + " 100");
  ASSERT_TRUE(store_->Remove(guest_, kKnife).ok());
  EXPECT_GT(Ttl(guest_), kGuestTtl - 10);
  redis_->Cli("EXPIRE " + store_->KeyOf(guest_) + " 100");
  auto refused = store_->Add(guest_, kSkillet, 99, kLimits);
  EXPECT_EQ(refused->outcome, AddResult::Outcome::kQuantityOutOfRange);
  EXPECT_GT(Ttl(guest_), kGuestTtl - 10);
}

TEST_F(RedisCartStoreTest, ShortGuestTtlReallyExpiresTheCart) {
  RedisCartStore short_lived(*client_, {.guest_ttl = std::chrono::seconds(1)});
  ASSERT_TRUE(short_lived.Add(guest_, kSkillet, 1, kLimits).ok());
  std::this_thread::sleep_for(milliseconds(2100));
  auto lines = short_lived.Get(guest_);
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_TRUE(lines->empty());
}

TEST_F(RedisCartStoreTest, UserCartsDoNotExpire) {
  ASSERT_TRUE(store_->Add(user_, kSkillet, 1, kLimits).ok());
  ASSERT_TRUE(store_->Get(user_).ok());
  EXPECT_EQ(Ttl(user_), -1);
}

TEST_F(RedisCartStoreTest, SetChangesOnlyAnExistingLine) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 5, kLimits).ok());
  auto set = store_->Set(guest_, kSkillet, 2);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->found);
  EXPECT_EQ(set->lines, (StoredLines{{kSkillet, 2}}));
  auto absent = store_->Set(guest_, kKnife, 2);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->found);
  EXPECT_EQ(absent->lines, (StoredLines{{kSkillet, 2}}));
  auto no_cart = store_->Set(CartRef::Guest(RandomToken(32)), kKnife, 2);
  ASSERT_TRUE(no_cart.ok()) << no_cart.status();
  EXPECT_FALSE(no_cart->found);
  EXPECT_TRUE(no_cart->lines.empty());
}

TEST_F(RedisCartStoreTest, RemoveRemoveLinesAndClear) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 1, kLimits).ok());
  ASSERT_TRUE(store_->Add(guest_, kKnife, 2, kLimits).ok());
  ASSERT_TRUE(store_->Add(guest_, kApron, 3, kLimits).ok());
  auto after = store_->Remove(guest_, kSkillet);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), 2u);
  EXPECT_EQ(QuantityIn(*after, kSkillet), 0);
  EXPECT_TRUE(store_->Remove(guest_, kSkillet).ok());  // again: nothing to do

  ASSERT_TRUE(store_->RemoveLines(guest_, {kKnife, "not-there"}).ok());
  EXPECT_EQ(*store_->Get(guest_), (StoredLines{{kApron, 3}}));

  ASSERT_TRUE(store_->Clear(guest_).ok());
  EXPECT_TRUE(store_->Get(guest_)->empty());
  EXPECT_EQ(redis_->Cli("EXISTS " + store_->KeyOf(guest_)), "0");
}

TEST_F(RedisCartStoreTest, TakeLowersLinesRemovesEmptiedOnesAndLeavesTheRest) {
  ASSERT_TRUE(store_->Add(user_, kSkillet, 3, kLimits).ok());
  ASSERT_TRUE(store_->Add(user_, kKnife, 2, kLimits).ok());
  ASSERT_TRUE(store_->Add(user_, kApron, 1, kLimits).ok());
  auto after = store_->Take(user_, {{kSkillet, 1}, {kKnife, 5}, {"not-there", 2}});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), 2u);
  EXPECT_EQ(QuantityIn(*after, kSkillet), 2);
  EXPECT_EQ(QuantityIn(*after, kKnife), 0);
  EXPECT_EQ(QuantityIn(*after, kApron), 1);
  EXPECT_EQ(redis_->Cli("HEXISTS " + store_->KeyOf(user_) + " not-there"), "0");
  EXPECT_EQ(redis_->Cli("TTL " + store_->KeyOf(user_)), "-1");  // user carts do not expire

  // Taking the last lines deletes the cart.
  auto empty = store_->Take(user_, {{kSkillet, 2}, {kApron, 1}});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(redis_->Cli("EXISTS " + store_->KeyOf(user_)), "0");
}

// ---- revisions (issue 15, defect 12) ----

TEST_F(RedisCartStoreTest, EveryChangeOfTheLinesGivesANewRevisionAndReadsKeepIt) {
  auto none = store_->GetRevised(user_);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->revision, "");
  EXPECT_TRUE(none->lines.empty());

  std::set<std::string> seen;
  auto revision = [&] {
    auto read = store_->GetRevised(user_);
    EXPECT_TRUE(read.ok()) << read.status();
    auto again = store_->GetRevised(user_);
    EXPECT_EQ(again->revision, read->revision) << "a read changed the revision";
    EXPECT_EQ(again->lines, read->lines);
    EXPECT_EQ(read->revision.size(), 22u);  // RandomToken(16)
    EXPECT_TRUE(seen.insert(read->revision).second) << "a revision came back";
    return read->revision;
  };
  ASSERT_TRUE(store_->Add(user_, kSkillet, 2, kLimits).ok());
  revision();
  ASSERT_TRUE(store_->Add(user_, kKnife, 1, kLimits).ok());
  revision();
  ASSERT_TRUE(store_->Set(user_, kKnife, 3).ok());
  revision();
  ASSERT_TRUE(store_->Take(user_, {{kKnife, 1}}).ok());
  revision();
  ASSERT_TRUE(store_->Remove(user_, kKnife).ok());
  revision();
  ASSERT_TRUE(store_->Add(user_, kKnife, 1, kLimits).ok());
  ASSERT_TRUE(store_->RemoveLines(user_, {kKnife}).ok());
  revision();
  ASSERT_TRUE(store_->Add(guest_, kApron, 1, kLimits).ok());
  ASSERT_TRUE(store_->Merge(guest_, user_, kLimits).ok());
  const std::string merged = revision();

  // Refusals and no-ops leave it.
  EXPECT_EQ(store_->Add(user_, kSkillet, 99, kLimits)->outcome,
            AddResult::Outcome::kQuantityOutOfRange);
  EXPECT_FALSE(store_->Set(user_, "not-there", 1)->found);
  ASSERT_TRUE(store_->Remove(user_, "not-there").ok());
  ASSERT_TRUE(store_->Take(user_, {{"not-there", 1}}).ok());
  EXPECT_EQ(store_->GetRevised(user_)->revision, merged);

  // Emptied and filled again with the same lines: still a new revision.
  const auto lines = store_->GetRevised(user_)->lines;
  ASSERT_TRUE(store_->Clear(user_).ok());
  EXPECT_EQ(store_->GetRevised(user_)->revision, "");
  for (const auto& line : lines) {
    ASSERT_TRUE(store_->Add(user_, line.product_id, line.quantity, kLimits).ok());
  }
  EXPECT_EQ(store_->GetRevised(user_)->lines.size(), lines.size());
  revision();
}

TEST_F(RedisCartStoreTest, TheRevisionIsNoLineAndTakesNoPlaceOfOne) {
  const CartLimits two_lines{99, 2};
  ASSERT_EQ(store_->Add(user_, kSkillet, 1, two_lines)->outcome, AddResult::Outcome::kAdded);
  ASSERT_EQ(store_->Add(user_, kKnife, 1, two_lines)->outcome, AddResult::Outcome::kAdded);
  EXPECT_EQ(store_->Add(user_, kApron, 1, two_lines)->outcome, AddResult::Outcome::kTooManyLines);
  EXPECT_EQ(redis_->Cli("HLEN " + store_->KeyOf(user_)), "3");
  EXPECT_EQ(store_->Get(user_)->size(), 2u);
  // Removing every line deletes the cart, revision included.
  ASSERT_TRUE(store_->Remove(user_, kSkillet).ok());
  ASSERT_TRUE(store_->Remove(user_, kKnife).ok());
  EXPECT_EQ(redis_->Cli("EXISTS " + store_->KeyOf(user_)), "0");
}

TEST_F(RedisCartStoreTest, ACartStoredBeforeRevisionsGetsOneOnItsFirstRevisedRead) {
  redis_->Cli(absl::StrCat("HSET ", store_->KeyOf(user_), " ", kSkillet, " 2"));
  auto read = store_->GetRevised(user_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->revision.size(), 22u);
  EXPECT_EQ(read->lines, (StoredLines{{kSkillet, 2}}));
  EXPECT_EQ(store_->GetRevised(user_)->revision, read->revision);
  EXPECT_EQ(redis_->Cli("TTL " + store_->KeyOf(user_)), "-1");
}

TEST_F(RedisCartStoreTest, MergeAddsQuantitiesCapsAt99AndDeletesTheGuestCart) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 60, kLimits).ok());
  ASSERT_TRUE(store_->Add(guest_, kKnife, 2, kLimits).ok());
  ASSERT_TRUE(store_->Add(user_, kSkillet, 50, kLimits).ok());
  ASSERT_TRUE(store_->Add(user_, kApron, 7, kLimits).ok());

  auto merged = store_->Merge(guest_, user_, kLimits);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->size(), 3u);
  EXPECT_EQ(QuantityIn(*merged, kSkillet), 99);
  EXPECT_EQ(QuantityIn(*merged, kKnife), 2);
  EXPECT_EQ(QuantityIn(*merged, kApron), 7);
  EXPECT_EQ(redis_->Cli("EXISTS " + store_->KeyOf(guest_)), "0");
  EXPECT_EQ(Ttl(user_), -1);
  EXPECT_EQ(*store_->Get(user_), *merged);
}

TEST_F(RedisCartStoreTest, MergeIntoAnEmptyUserCartMovesTheLines) {
  ASSERT_TRUE(store_->Add(guest_, kKnife, 4, kLimits).ok());
  auto merged = store_->Merge(guest_, user_, kLimits);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(*merged, (StoredLines{{kKnife, 4}}));
  // Merging again (the guest cart is gone) changes nothing.
  auto again = store_->Merge(guest_, user_, kLimits);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, (StoredLines{{kKnife, 4}}));
}

TEST_F(RedisCartStoreTest, MergeRespectsTheLineLimit) {
  const CartLimits two_lines{99, 2};
  ASSERT_TRUE(store_->Add(user_, kSkillet, 1, two_lines).ok());
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 1, two_lines).ok());
  ASSERT_TRUE(store_->Add(guest_, kKnife, 1, two_lines).ok());
  ASSERT_TRUE(store_->Add(guest_, kApron, 1, two_lines).ok());
  auto merged = store_->Merge(guest_, user_, two_lines);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->size(), 2u);
  EXPECT_EQ(QuantityIn(*merged, kSkillet), 2);
}

TEST_F(RedisCartStoreTest, ZzRedisDownIsUnavailableAndRecovers) {
  ASSERT_TRUE(store_->Add(guest_, kSkillet, 1, kLimits).ok());
  redis_->Stop();
  EXPECT_EQ(store_->Get(guest_).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Add(guest_, kSkillet, 1, kLimits).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(redis_->Restart().ok());
  std::this_thread::sleep_for(milliseconds(100));
  // The data is gone with the server (the test Redis keeps nothing on disk); the store works.
  auto added = store_->Add(guest_, kSkillet, 1, kLimits);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(QuantityIn(added->lines, kSkillet), 1);
}

}  // namespace
}  // namespace mercato::cart
