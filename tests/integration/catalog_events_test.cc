// The catalog store's events against a real PostgreSQL: which changes append ProductChanged /
// StockChanged to the outbox, with what, and that a change that rolls back appends nothing
// (services/catalog/product_events.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/postgres_catalog_store.h"
#include "common/ids.h"
#include "db/migrations.h"
#include "mercato/events/v1/events.pb.h"
#include "support/postgres.h"

namespace mercato::catalog {
const std::vector<EmbeddedFile>& Migrations();

namespace {

using events::v1::Envelope;
using testing::PostgresServer;

constexpr int64_t kThreshold = 5;

class CatalogEventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pool =
        PgPool::Create({.conninfo = PostgresServer::Shared()->CreateDatabase("catalog_events")});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = pool->release();
    ASSERT_TRUE(ApplyMigrations(*pool_, Migrations()).ok());
    store_ = new PostgresCatalogStore(*pool_, kThreshold);
  }

  static std::string NewProduct(int64_t stock) {
    v1::Product p;
    p.set_id(NewUuid());
    p.set_name("kettle");
    p.set_description("a kettle");
    p.mutable_price()->set_amount(1000);
    p.mutable_price()->set_currency("USD");
    p.set_stock(stock);
    EXPECT_TRUE(store_->CreateProduct(p).ok());
    return p.id();
  }

  // The product's events in outbox order.
  static std::vector<Envelope> EventsOf(const std::string& product_id) {
    std::vector<Envelope> out;
    absl::Status s = pool_->Transact([&](pqxx::work& tx) -> absl::Status {
      out.clear();
      for (const auto& row : tx.exec_params(
               "SELECT payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", product_id)) {
        Envelope e;
        EXPECT_TRUE(e.ParseFromString(pqxx::binarystring(row[0]).str()));
        out.push_back(e);
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // The sellable quantities of the product's StockChanged events, and their low_stock flags.
  static std::vector<std::pair<int64_t, bool>> StockOf(const std::string& product_id) {
    std::vector<std::pair<int64_t, bool>> out;
    for (const Envelope& e : EventsOf(product_id)) {
      if (e.has_stock_changed()) {
        out.emplace_back(e.stock_changed().sellable_quantity(), e.stock_changed().low_stock());
      }
    }
    return out;
  }

  static v1::ReservationItem Item(const std::string& id, int quantity) {
    v1::ReservationItem item;
    item.set_product_id(id);
    item.set_quantity(quantity);
    return item;
  }

  static PgPool* pool_;
  static PostgresCatalogStore* store_;
};

PgPool* CatalogEventsTest::pool_ = nullptr;
PostgresCatalogStore* CatalogEventsTest::store_ = nullptr;

TEST_F(CatalogEventsTest, CreationPublishesTheFactsAndTheStock) {
  const std::string id = NewProduct(8);
  std::vector<Envelope> events = EventsOf(id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].product_changed().product_id(), id);
  EXPECT_EQ(events[0].product_changed().price().amount(), 1000);
  EXPECT_TRUE(events[0].product_changed().active());
  EXPECT_EQ(events[0].source(), "catalog");
  EXPECT_EQ(StockOf(id), (std::vector<std::pair<int64_t, bool>>{{8, false}}));
}

TEST_F(CatalogEventsTest, SellableChangesPublishStockChangedAndASaleDoesNot) {
  const std::string id = NewProduct(7);
  ASSERT_TRUE(store_->ReserveStock("r1-" + id, {Item(id, 2)}, std::chrono::seconds(60)).ok());
  ASSERT_TRUE(store_->CommitReservation("r1-" + id).ok());  // sold: sellable stays 5
  ASSERT_TRUE(store_->ReserveStock("r2-" + id, {Item(id, 3)}, std::chrono::seconds(60)).ok());
  ASSERT_TRUE(store_->ReleaseReservation("r2-" + id).ok());
  ASSERT_TRUE(store_->ReserveStock("r3-" + id, {Item(id, 1)}, std::chrono::seconds(60)).ok());
  ASSERT_TRUE(pool_
                  ->Transact([&](pqxx::work& tx) -> absl::Status {
                    tx.exec_params(
                        "UPDATE reservations SET expires_at = now() - interval '1 second' "
                        "WHERE id = $1",
                        "r3-" + id);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(store_->ExpireReservations(100).ok());
  ASSERT_TRUE(store_->SetStock(id, 5).ok());  // on hand 5, nothing held: sellable stays 5
  ASSERT_TRUE(store_->SetStock(id, 9).ok());
  EXPECT_EQ(StockOf(id), (std::vector<std::pair<int64_t, bool>>{
                             {7, false},  // created
                             {5, true},   // r1 reserved 2 (5 is the threshold: low)
                             {2, true},   // r2 reserved 3
                             {5, true},   // r2 released
                             {4, true},   // r3 reserved 1
                             {5, true},   // r3 expired
                             {9, false},  // on hand set to 9
                         }));
}

TEST_F(CatalogEventsTest, OnlyNameAndPriceChangesPublishProductChanged) {
  const std::string id = NewProduct(10);
  v1::Product p;
  p.set_id(id);
  p.set_description("another description");
  ASSERT_TRUE(store_->UpdateProduct(p, {.description = true}).ok());
  p.mutable_price()->set_amount(1200);
  p.mutable_price()->set_currency("USD");
  ASSERT_TRUE(store_->UpdateProduct(p, {.price = true}).ok());
  p.set_name("kettle");  // unchanged
  ASSERT_TRUE(store_->UpdateProduct(p, {.name = true}).ok());
  std::vector<Envelope> events = EventsOf(id);
  ASSERT_EQ(events.size(), 3u);  // created (facts, stock), repriced
  ASSERT_TRUE(events[2].has_product_changed());
  EXPECT_EQ(events[2].product_changed().price().amount(), 1200);
}

TEST_F(CatalogEventsTest, AReservationThatRollsBackPublishesNothing) {
  const std::string plenty = NewProduct(10);
  const std::string scarce = NewProduct(1);
  std::vector<v1::ReservationItem> items = {Item(plenty, 2), Item(scarce, 2)};
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.product_id() < b.product_id(); });
  auto reserved = store_->ReserveStock("r-" + plenty, items, std::chrono::seconds(60));
  EXPECT_EQ(reserved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StockOf(plenty), (std::vector<std::pair<int64_t, bool>>{{10, false}}));
  EXPECT_EQ(StockOf(scarce), (std::vector<std::pair<int64_t, bool>>{{1, true}}));
}

}  // namespace
}  // namespace mercato::catalog
