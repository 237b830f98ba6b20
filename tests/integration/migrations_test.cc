#include "db/migrations.h"

#include <gtest/gtest.h>

#include "support/postgres.h"

namespace mercato {
namespace {

using testing::PostgresServer;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = PgPool::Create({.conninfo = PostgresServer::Shared()->CreateDatabase("mig_test")});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
  }
  std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql("mig_test", sql);
  }
  std::unique_ptr<PgPool> pool_;
};

const std::vector<EmbeddedFile> kTwo = {
    {"001_init.sql", "CREATE TABLE a (id int PRIMARY KEY);"},
    {"002_more.sql", "ALTER TABLE a ADD COLUMN name text;"},
};

TEST_F(MigrationsTest, AppliesInOrderOnceAndRecordsThem) {
  auto applied = ApplyMigrations(*pool_, kTwo);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 2);
  EXPECT_EQ(
      Sql("SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM schema_migrations"),
      "1:001_init.sql,2:002_more.sql");
  auto again = ApplyMigrations(*pool_, kTwo);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  // A new migration applies on its own.
  auto three = kTwo;
  three.push_back({"003_idx.sql", "CREATE INDEX a_name ON a (name);"});
  EXPECT_EQ(*ApplyMigrations(*pool_, three), 1);
}

TEST_F(MigrationsTest, AFailingMigrationAppliesNothing) {
  std::vector<EmbeddedFile> bad = {
      {"001_init.sql", "CREATE TABLE a (id int PRIMARY KEY);"},
      {"002_broken.sql", "ALTER TABLE nope ADD COLUMN x int;"},
  };
  EXPECT_FALSE(ApplyMigrations(*pool_, bad).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'schema_migrations')"),
            "0");
}

TEST_F(MigrationsTest, ChangedAppliedMigrationStopsStartUp) {
  ASSERT_TRUE(ApplyMigrations(*pool_, kTwo).ok());
  auto edited = kTwo;
  edited[0].content = "CREATE TABLE a (id bigint PRIMARY KEY);";
  auto s = ApplyMigrations(*pool_, edited);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.status().message(),
            "migration 001_init.sql was changed after it was applied; add a new migration");
}

TEST_F(MigrationsTest, BadFileNamesAreRejected) {
  for (const char* name : {"init.sql", "000_zero.sql", "1_x.txt", "abc_x.sql"}) {
    auto s = ApplyMigrations(*pool_, {{name, "SELECT 1;"}});
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  auto dup = ApplyMigrations(*pool_, {{"001_a.sql", "SELECT 1;"}, {"001_b.sql", "SELECT 1;"}});
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MigrationsTest, ConcurrentStartsApplyEachMigrationOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> total{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto pool = PgPool::Create({.conninfo = PostgresServer::Shared()->Url("mig_test")});
      ASSERT_TRUE(pool.ok());
      auto n = ApplyMigrations(**pool, kTwo);
      ASSERT_TRUE(n.ok()) << n.status();
      total += *n;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), 2);
  EXPECT_EQ(Sql("SELECT count(*) FROM schema_migrations"), "2");
}

}  // namespace
}  // namespace mercato
