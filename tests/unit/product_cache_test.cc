#include "catalog/product_cache.h"

#include <gtest/gtest.h>

#include <set>

namespace mercato::catalog {
namespace {

VersionedProduct P(const std::string& id, const std::string& name,
                   std::vector<std::string> categories, int64_t version = 1, int64_t stock = 5) {
  VersionedProduct p;
  p.product.set_id(id);
  p.product.set_name(name);
  for (auto& c : categories) p.product.add_categories(c);
  p.product.set_stock(stock);
  p.version = version;
  return p;
}

class ProductCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<VersionedProduct> products;
    for (int i = 0; i < 50; ++i) {
      // Names repeat every 10 so the id breaks ties.
      products.push_back(P("id-" + std::to_string(100 + i), "name-" + std::to_string(i % 10),
                           {i % 2 ? "odd" : "even"}));
    }
    v1::Category c;
    c.set_id("even");
    cache_.Reset(std::move(products), {c});
  }
  ProductCache cache_;
};

TEST_F(ProductCacheTest, ListsInNameThenIdOrderAcrossPages) {
  std::vector<std::pair<std::string, std::string>> seen;
  ProductQuery q{.limit = 7};
  for (;;) {
    ProductPage page = cache_.List(q);
    for (const auto& p : page.products) seen.emplace_back(p.name(), p.id());
    if (!page.has_more) break;
    ASSERT_TRUE(page.last.has_value());
    EXPECT_EQ(page.products.size(), 7u);
    q.after = page.last;
  }
  ASSERT_EQ(seen.size(), 50u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set(seen.begin(), seen.end()).size(), 50u);
}

TEST_F(ProductCacheTest, FiltersByCategory) {
  ProductPage page = cache_.List({.category = "odd", .limit = 100});
  EXPECT_EQ(page.products.size(), 25u);
  EXPECT_FALSE(page.has_more);
  for (const auto& p : page.products) EXPECT_EQ(p.categories(0), "odd");
  EXPECT_TRUE(cache_.List({.category = "nope", .limit = 10}).products.empty());
}

TEST_F(ProductCacheTest, ExactPageSizeHasNoNextPage) {
  ProductPage page = cache_.List({.category = "even", .limit = 25});
  EXPECT_EQ(page.products.size(), 25u);
  EXPECT_FALSE(page.has_more);
}

TEST_F(ProductCacheTest, ApplyKeepsTheNewestVersion) {
  cache_.Apply({P("id-100", "renamed", {"even"}, 3)}, {});
  EXPECT_EQ(cache_.Get("id-100")->name(), "renamed");
  cache_.Apply({P("id-100", "stale", {"even"}, 2)}, {});  // older: ignored
  EXPECT_EQ(cache_.Get("id-100")->name(), "renamed");
  // The renamed product moved in the browse order and in its category.
  ProductPage page = cache_.List({.category = "even", .limit = 100});
  EXPECT_EQ(page.products.back().name(), "renamed");
  EXPECT_EQ(page.products.size(), 25u);
}

TEST_F(ProductCacheTest, ApplyRemovesAndInsertsAndMovesCategories) {
  cache_.Apply({P("id-new", "aaa", {"odd"}), P("id-101", "name-1", {"even"}, 2)}, {"id-102"});
  EXPECT_FALSE(cache_.Get("id-102").has_value());
  EXPECT_EQ(cache_.size(), 50u);
  EXPECT_EQ(cache_.List({.limit = 1}).products[0].id(), "id-new");
  // odd: 25 + id-new - id-101 (moved to even); even: 25 + id-101 - id-102 (removed).
  EXPECT_EQ(cache_.List({.category = "odd", .limit = 100}).products.size(), 25u);
  EXPECT_EQ(cache_.List({.category = "even", .limit = 100}).products.size(), 25u);
  for (const auto& p : cache_.List({.category = "even", .limit = 100}).products) {
    EXPECT_NE(p.id(), "id-102");
  }
}

TEST_F(ProductCacheTest, GetManyReturnsOnlyExisting) {
  auto found = cache_.GetMany({"id-100", "missing", "id-149"});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->id(), "id-100");
  EXPECT_EQ(found[1]->id(), "id-149");
  EXPECT_TRUE(cache_.HasCategory("even"));
  EXPECT_FALSE(cache_.HasCategory("odd"));
}

// The catalog version (the sum of the cached rows' versions) grows with each change applied,
// ignores a stale one, and is the same for two caches that applied the same changes in
// another order.
TEST_F(ProductCacheTest, VersionCountsEveryAppliedChange) {
  EXPECT_EQ(cache_.version(), 50);  // 50 rows at version 1
  cache_.Apply({P("id-100", "renamed", {"even"}, 3)}, {});
  EXPECT_EQ(cache_.version(), 52);
  cache_.Apply({P("id-100", "stale", {"even"}, 2)}, {});
  EXPECT_EQ(cache_.version(), 52);
  cache_.Apply({P("id-new", "new", {"odd"}, 1)}, {});
  EXPECT_EQ(cache_.version(), 53);

  ProductCache other;
  other.Reset({P("id-new", "new", {"odd"}, 1)}, {});
  std::vector<VersionedProduct> rest;
  for (int i = 0; i < 50; ++i) {
    rest.push_back(P("id-" + std::to_string(100 + i), "name-" + std::to_string(i % 10),
                     {i % 2 ? "odd" : "even"}, i == 0 ? 3 : 1));
  }
  other.Apply(rest, {});
  EXPECT_EQ(other.version(), cache_.version());
  EXPECT_EQ(ProductCache().version(), 0);
}

// The generation counts every Reset and Apply, never repeats, and List reports the version
// and generation of the content it read.
TEST_F(ProductCacheTest, EveryChangeBumpsTheGenerationAndListReportsIt) {
  const uint64_t start = cache_.generation();
  EXPECT_GT(start, 0u);  // the Reset in SetUp
  ReadModelStamp stamp;
  cache_.List({.limit = 5}, &stamp);
  EXPECT_EQ(stamp.generation, start);
  EXPECT_EQ(stamp.version, cache_.version());
  cache_.Apply({P("id-100", "renamed", {"even"}, 2)}, {});
  EXPECT_EQ(cache_.generation(), start + 1);
  // A removal lowers the version's sum, but never the generation.
  cache_.Apply({}, {"id-100"});
  EXPECT_EQ(cache_.generation(), start + 2);
  cache_.List({.limit = 5}, &stamp);
  EXPECT_EQ(stamp.generation, start + 2);
  EXPECT_EQ(stamp.version, cache_.version());
  cache_.Reset({}, {});
  EXPECT_EQ(cache_.generation(), start + 3);
}

}  // namespace
}  // namespace mercato::catalog
