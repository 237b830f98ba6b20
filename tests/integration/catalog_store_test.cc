// The catalog's PostgreSQL store and read-model refresh against a real PostgreSQL: schema
// migrations, seeding, full-text search with keyset pages, and LISTEN/NOTIFY.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "catalog/cache_refresher.h"
#include "catalog/postgres_catalog_store.h"
#include "catalog/seed.h"
#include "db/migrations.h"
#include "support/postgres.h"
#include "support/process.h"

namespace mercato::catalog {
const std::vector<EmbeddedFile>& Migrations();

namespace {

using testing::PostgresServer;

class CatalogStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = new std::string(PostgresServer::Shared()->CreateDatabase("catalog_store_test"));
    auto pool = PgPool::Create({.conninfo = *url_});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = pool->release();
    ASSERT_TRUE(ApplyMigrations(*pool_, Migrations()).ok());
    store_ = new PostgresCatalogStore(*pool_);
    auto seed = BuiltInSeedCatalog();
    ASSERT_TRUE(seed.ok()) << seed.status();
    seed_ = new SeedCatalog(*std::move(seed));
    auto inserted = store_->SeedIfEmpty(seed_->categories, seed_->products);
    ASSERT_TRUE(inserted.ok()) << inserted.status();
    ASSERT_EQ(*inserted, static_cast<int>(seed_->products.size()));
  }
  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql("catalog_store_test", sql);
  }

  static std::string* url_;
  static PgPool* pool_;
  static PostgresCatalogStore* store_;
  static SeedCatalog* seed_;
};

std::string* CatalogStoreTest::url_;
PgPool* CatalogStoreTest::pool_;
PostgresCatalogStore* CatalogStoreTest::store_;
SeedCatalog* CatalogStoreTest::seed_;

TEST_F(CatalogStoreTest, SeedCatalogIsLargeAndVaried) {
  EXPECT_GE(seed_->products.size(), 200u);
  EXPECT_GE(seed_->categories.size(), 8u);
  EXPECT_EQ(Sql("SELECT count(*) FROM products"), std::to_string(seed_->products.size()));
  EXPECT_EQ(Sql("SELECT count(*) FROM products WHERE image_url = ''"), "0");
  EXPECT_EQ(Sql("SELECT count(DISTINCT c) FROM products, unnest(categories) c"),
            std::to_string(seed_->categories.size()));
}

TEST_F(CatalogStoreTest, SeedingTwiceInsertsNothing) {
  auto again = store_->SeedIfEmpty(seed_->categories, seed_->products);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(CatalogStoreTest, SearchFindsByWordsAndPrefixes) {
  auto page = store_->SearchProducts({.text = "cast iron skil", .limit = 10});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->products.size(), 2u);  // the two editions of the skillet
  for (const auto& p : page->products) {
    EXPECT_EQ(p.name().rfind("Cast Iron Skillet", 0), 0u) << p.name();
  }
  auto stems = store_->SearchProducts({.text = "Skillets", .limit = 10});
  ASSERT_TRUE(stems.ok());
  EXPECT_EQ(stems->products.size(), 2u);
}

TEST_F(CatalogStoreTest, SearchFiltersByCategory) {
  auto all = store_->SearchProducts({.text = "set", .limit = 100});
  auto kitchen = store_->SearchProducts({.category = "kitchen", .text = "set", .limit = 100});
  ASSERT_TRUE(all.ok() && kitchen.ok());
  EXPECT_GT(all->products.size(), kitchen->products.size());
  EXPECT_GT(kitchen->products.size(), 0u);
  for (const auto& p : kitchen->products) {
    EXPECT_NE(std::find(p.categories().begin(), p.categories().end(), "kitchen"),
              p.categories().end());
  }
}

TEST_F(CatalogStoreTest, SearchPagesAreDisjointAndComplete) {
  auto everything = store_->SearchProducts({.text = "edition", .limit = 100});
  ASSERT_TRUE(everything.ok());
  const size_t total = everything->products.size() + (everything->has_more ? 1000 : 0);
  ASSERT_GT(total, 20u);
  std::set<std::string> ids;
  ProductQuery q{.text = "edition", .limit = 7};
  for (int pages = 0; pages < 100; ++pages) {
    auto page = store_->SearchProducts(q);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& p : page->products) EXPECT_TRUE(ids.insert(p.id()).second) << p.id();
    if (!page->has_more) break;
    q.after = page->last;
  }
  EXPECT_EQ(
      std::stoi(
          Sql("SELECT count(*) FROM products WHERE search @@ to_tsquery('english', 'edition:*')")),
      static_cast<int>(ids.size()));
}

TEST_F(CatalogStoreTest, QueriesWithoutSearchableWordsFindNothing) {
  for (const char* text : {"!!!", "&|:*", "  "}) {
    auto page = store_->SearchProducts({.text = text, .limit = 10});
    ASSERT_TRUE(page.ok()) << text;
    EXPECT_TRUE(page->products.empty()) << text;
  }
}

TEST_F(CatalogStoreTest, LoadSkipsNonUuidsAndMissingIds) {
  const std::string id = seed_->products[0].id();
  auto loaded = store_->LoadProducts({id, "not-a-uuid", "00000000-0000-4000-8000-000000000000"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].product.name(), seed_->products[0].name());
  EXPECT_EQ((*loaded)[0].version, 1);
}

TEST_F(CatalogStoreTest, StockCannotGoNegativeEvenBySql) {
  const std::string id = seed_->products[1].id();
  std::string out;
  const int rc =
      testing::RunCommand("psql -X -q -d '" + *url_ +
                              "' -c \"UPDATE products SET on_hand = -1 WHERE id = '" + id + "'\"",
                          &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("violates check constraint"), std::string::npos) << out;
}

TEST_F(CatalogStoreTest, RefresherSeesChangesFromAnotherWriterThroughNotify) {
  ProductCache cache;
  CacheRefresher refresher(*url_, *store_, cache, std::chrono::seconds(3600));
  refresher.Start();
  const std::string id = seed_->products[2].id();
  // Wait for the initial load done by the listener thread.
  for (int i = 0; i < 200 && cache.size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(cache.size(), seed_->products.size());
  Sql("UPDATE products SET name = 'Renamed by another replica' WHERE id = '" + id + "'");
  std::string name;
  for (int i = 0; i < 300; ++i) {
    name = cache.Get(id)->name();
    if (name == "Renamed by another replica") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(name, "Renamed by another replica");
  EXPECT_EQ(Sql("SELECT version FROM products WHERE id = '" + id + "'"), "2");
  refresher.Stop();
}

}  // namespace
}  // namespace mercato::catalog
