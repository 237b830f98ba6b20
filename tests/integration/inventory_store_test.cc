// Inventory against a real PostgreSQL: CatalogService over PostgresCatalogStore, as the
// catalog binary runs it. All-or-nothing reservations, no overselling under 200 concurrent
// reservations, no deadlocks between reservations locking the same products in opposite
// orders, idempotency, release / commit / tombstones, the expiry sweeper (also several at
// once and racing commits), the stock CHECK constraint, admin writes, and cache refreshes
// in this process and (through NOTIFY) in another replica.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "catalog/cache_refresher.h"
#include "catalog/catalog_service.h"
#include "catalog/inventory_metrics.h"
#include "catalog/postgres_catalog_store.h"
#include "catalog/reservation_expiry_sweeper.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "db/migrations.h"
#include "mercato/events/v1/events.pb.h"
#include "support/concurrency.h"
#include "support/inventory_requests.h"
#include "support/migrated_database.h"
#include "support/postgres.h"

namespace mercato::catalog {
const std::vector<EmbeddedFile>& Migrations();

namespace {

using testing::MigratedDatabase;
using testing::PostgresServer;

constexpr char kDatabase[] = "inventory_store_test";

using namespace inventory_requests;

std::string Sql(const std::string& sql) { return PostgresServer::Shared()->Psql(kDatabase, sql); }

// "deadlock detected" lines in the test server's log so far: PostgreSQL logs every deadlock
// it breaks, even when PgPool's retry then hides it from the caller.
int DeadlocksLogged() {
  const std::string data_dir = Sql("SHOW data_directory");
  std::ifstream log(data_dir + "/../server.log");
  EXPECT_TRUE(log.is_open()) << data_dir;
  std::stringstream text;
  text << log.rdbuf();
  const std::string s = text.str();
  int n = 0;
  for (size_t at = s.find("deadlock detected"); at != std::string::npos;
       at = s.find("deadlock detected", at + 1)) {
    ++n;
  }
  return n;
}

class InventoryStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Generous limits: 200 callers queue for connections and row locks on a shared machine.
    auto db = MigratedDatabase(kDatabase,
                               {.size = 32,
                                .acquire_timeout = std::chrono::seconds(60),
                                .statement_timeout = std::chrono::seconds(60)},
                               Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_EQ(db->applied, static_cast<int>(Migrations().size()));
    url_ = new std::string(db->url);
    pool_ = db->pool.release();
    store_ = new PostgresCatalogStore(*pool_);
  }

  InventoryStoreTest() : refresher_(*url_, *store_, cache_), executor_("t", 1, 10) {}

  void SetUp() override {
    ASSERT_TRUE(refresher_.LoadAll().ok());
    service_ = std::make_unique<CatalogService>(*store_, cache_, refresher_, executor_,
                                                InventoryOptions{}, &registry_);
  }

  // A new product with this stock; every test works on products of its own.
  static std::string NewProduct(int64_t stock) {
    v1::Product p;
    p.set_id(NewUuid());
    p.set_name(absl::StrCat("product ", p.id()));
    p.mutable_price()->set_amount(1000);
    p.mutable_price()->set_currency("USD");
    p.set_stock(stock);
    auto created = store_->CreateProduct(p);
    EXPECT_TRUE(created.ok()) << created.status();
    return p.id();
  }
  static int64_t Stock(const std::string& id) {
    return std::stoll(Sql(absl::StrCat("SELECT stock FROM products WHERE id = '", id, "'")));
  }
  static std::string State(const std::string& reservation_id) {
    return Sql(absl::StrCat("SELECT state FROM reservations WHERE id = '", reservation_id, "'"));
  }
  // Moves a reservation's expiry into the past, as if its time had run out.
  static void ExpireNow(const std::string& reservation_id) {
    Sql(
        absl::StrCat("UPDATE reservations SET expires_at = now() - interval '1 second' "
                     "WHERE id = '",
                     reservation_id, "'"));
  }

  // Each runs the RPC's logic; the reservation it answers goes to `out` when given. Safe
  // from several threads at once.
  absl::Status DoReserve(const v1::ReserveStockRequest& request, v1::Reservation* out = nullptr) {
    v1::Reservation r;
    return Answer(service_->DoReserveStock(request, &r), r, out);
  }
  absl::Status DoCommit(const std::string& id, v1::Reservation* out = nullptr) {
    v1::CommitReservationRequest request;
    request.set_reservation_id(id);
    v1::Reservation r;
    return Answer(service_->DoCommitReservation(request, &r), r, out);
  }
  absl::Status DoRelease(const std::string& id, v1::Reservation* out = nullptr) {
    v1::ReleaseReservationRequest request;
    request.set_reservation_id(id);
    v1::Reservation r;
    return Answer(service_->DoReleaseReservation(request, &r), r, out);
  }
  absl::Status DoReturn(const std::string& id, v1::Reservation* out = nullptr) {
    v1::ReturnStockRequest request;
    request.set_reservation_id(id);
    v1::Reservation r;
    return Answer(service_->DoReturnStock(request, &r), r, out);
  }
  static absl::Status Answer(absl::Status status, const v1::Reservation& reply,
                             v1::Reservation* out) {
    if (out) *out = reply;
    return status;
  }
  InventoryMetrics metrics() { return InventoryMetrics(registry_); }

  static std::string* url_;
  static PgPool* pool_;
  static PostgresCatalogStore* store_;

  prometheus::Registry registry_;
  ProductCache cache_;
  CacheRefresher refresher_;
  BoundedExecutor executor_;
  std::unique_ptr<CatalogService> service_;
};

std::string* InventoryStoreTest::url_;
PgPool* InventoryStoreTest::pool_;
PostgresCatalogStore* InventoryStoreTest::store_;

TEST_F(InventoryStoreTest, ReservationIsAllOrNothingOverSeveralProducts) {
  const std::string a = NewProduct(5), b = NewProduct(5), c = NewProduct(1);
  absl::Status short_of_c = DoReserve(Reserve("aon-1", {Item(a, 2), Item(b, 2), Item(c, 2)}));
  EXPECT_EQ(short_of_c.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(short_of_c), "out_of_stock");
  EXPECT_NE(short_of_c.message().find(c), absl::string_view::npos) << short_of_c.message();
  EXPECT_EQ(Stock(a), 5);
  EXPECT_EQ(Stock(b), 5);
  EXPECT_EQ(Stock(c), 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id = 'aon-1'"), "0");

  v1::Reservation r;
  ASSERT_TRUE(DoReserve(Reserve("aon-2", {Item(a, 2), Item(b, 2), Item(c, 1)}), &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_HELD);
  EXPECT_EQ(r.items_size(), 3);
  EXPECT_EQ(Stock(a), 3);
  EXPECT_EQ(Stock(b), 3);
  EXPECT_EQ(Stock(c), 0);
  EXPECT_EQ(Sql("SELECT sum(quantity) FROM reservation_items WHERE reservation_id = 'aon-2'"), "5");
  // This process's cache shows the new stock at once.
  EXPECT_EQ(cache_.Get(c)->stock(), 0);
  EXPECT_EQ(cache_.Get(a)->stock(), 3);
}

TEST_F(InventoryStoreTest, UnknownProductIsNotFoundAndTakesNothing) {
  const std::string a = NewProduct(5);
  const std::string unknown = NewUuid();
  absl::Status s = DoReserve(Reserve("unknown-1", {Item(a, 1), Item(unknown, 1)}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "product_not_found");
  EXPECT_NE(s.message().find(unknown), absl::string_view::npos);
  EXPECT_EQ(Stock(a), 5);
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id = 'unknown-1'"), "0");
}

TEST_F(InventoryStoreTest, DefaultTtlSetsTheExpiry) {
  const std::string a = NewProduct(5);
  const int64_t before_ms = std::stoll(Sql("SELECT (extract(epoch FROM now()) * 1000)::bigint"));
  v1::Reservation r;
  ASSERT_TRUE(DoReserve(Reserve("ttl-1", {Item(a, 1)}), &r).ok());
  EXPECT_GE(r.expires_at_unix_ms(), before_ms + 900 * 1000);
  EXPECT_LT(r.expires_at_unix_ms(), before_ms + 900 * 1000 + 60 * 1000);
  EXPECT_EQ(Sql("SELECT expires_at - created_at = interval '900 seconds' FROM reservations "
                "WHERE id = 'ttl-1'"),
            "t");
}

TEST_F(InventoryStoreTest, TwoHundredConcurrentReservationsOfTenInStockSellExactlyTen) {
  const std::string p = NewProduct(10);
  constexpr int kCallers = 200;
  std::atomic<int> reserved{0}, out_of_stock{0}, other{0};
  std::latch start(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      absl::Status s = DoReserve(Reserve(absl::StrCat("burst-", i), {Item(p, 1)}));
      if (s.ok()) {
        ++reserved;
      } else if (ExplicitErrorCodeOf(s) == "out_of_stock") {
        ++out_of_stock;
      } else {
        ++other;
        ADD_FAILURE() << s;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(reserved.load(), 10);
  EXPECT_EQ(out_of_stock.load(), 190);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Stock(p), 0);
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*), sum(quantity) FROM reservation_items "
                             "WHERE product_id = '",
                             p, "'")),
            "10|10");
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id LIKE 'burst-%' AND state = 'held'"),
            "10");
  EXPECT_EQ(metrics().reserved.Value(), 10);
  EXPECT_EQ(metrics().out_of_stock.Value(), 190);
  EXPECT_EQ(cache_.Get(p)->stock(), 0);
}

TEST_F(InventoryStoreTest, OppositeOrderMultiProductReservationsNeverDeadlock) {
  const std::string a = NewProduct(1000), b = NewProduct(1000), c = NewProduct(1000);
  // Each product update holds its row lock a little longer, so that transactions locking in
  // different orders would surely meet in a cycle.
  Sql("CREATE FUNCTION inventory_test_pause() RETURNS trigger AS $$ "
      "BEGIN PERFORM pg_sleep(0.002); RETURN NULL; END $$ LANGUAGE plpgsql");
  Sql("CREATE TRIGGER inventory_test_pause AFTER UPDATE ON products "
      "FOR EACH ROW EXECUTE FUNCTION inventory_test_pause()");
  const int deadlocks_before = DeadlocksLogged();
  constexpr int kThreads = 20, kEach = 10;
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        const std::string id = absl::StrCat("order-", t, "-", i);
        // Half ask for a, b, c and half for c, b, a; odd threads go straight to the store
        // with the lines unsorted, so the store's own lock order is tested too.
        std::vector<v1::ReservationItem> items =
            t % 2 == 0 ? std::vector{Item(a, 1), Item(b, 1), Item(c, 1)}
                       : std::vector{Item(c, 1), Item(b, 1), Item(a, 1)};
        absl::Status s = t % 4 < 2
                             ? DoReserve(Reserve(id, items))
                             : store_->ReserveStock(id, items, std::chrono::seconds(60)).status();
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  Sql("DROP TRIGGER inventory_test_pause ON products; DROP FUNCTION inventory_test_pause()");
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Stock(a), 1000 - kThreads * kEach);
  EXPECT_EQ(Stock(b), 1000 - kThreads * kEach);
  EXPECT_EQ(Stock(c), 1000 - kThreads * kEach);
  EXPECT_EQ(DeadlocksLogged(), deadlocks_before);
}

TEST_F(InventoryStoreTest, RepeatingAReservationReturnsItWithoutTakingStockAgain) {
  const std::string a = NewProduct(10), b = NewProduct(10);
  v1::Reservation first, again;
  ASSERT_TRUE(DoReserve(Reserve("idem-1", {Item(a, 1), Item(a, 1), Item(b, 3)}), &first).ok());
  // The same lines in another order and split otherwise are the same reservation.
  ASSERT_TRUE(DoReserve(Reserve("idem-1", {Item(b, 3), Item(a, 2)}), &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Stock(a), 8);
  EXPECT_EQ(Stock(b), 7);
  EXPECT_EQ(metrics().reserved.Value(), 1);

  absl::Status other_items = DoReserve(Reserve("idem-1", {Item(a, 2), Item(b, 4)}));
  EXPECT_EQ(other_items.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(other_items), "reservation_mismatch");
  EXPECT_EQ(Stock(b), 7);
}

TEST_F(InventoryStoreTest, ConcurrentRepeatsOfOneIdTakeStockOnce) {
  const std::string a = NewProduct(100);
  constexpr int kCallers = 20;
  std::atomic<int> ok{0};
  std::latch start(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      absl::Status s = DoReserve(Reserve("same-id", {Item(a, 7)}));
      EXPECT_TRUE(s.ok()) << s;
      if (s.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kCallers);
  EXPECT_EQ(Stock(a), 93);
  EXPECT_EQ(metrics().reserved.Value(), 1);
}

TEST_F(InventoryStoreTest, ReleaseReturnsTheStockOnceAndClosesTheId) {
  const std::string a = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("rel-1", {Item(a, 4)})).ok());
  EXPECT_EQ(Stock(a), 6);
  v1::Reservation r;
  ASSERT_TRUE(DoRelease("rel-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RELEASED);
  ASSERT_EQ(r.items_size(), 1);
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(cache_.Get(a)->stock(), 10);
  // Idempotent.
  ASSERT_TRUE(DoRelease("rel-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RELEASED);
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(metrics().released.Value(), 1);
  // Closed: neither reserved again nor committed.
  absl::Status reserve = DoReserve(Reserve("rel-1", {Item(a, 4)}));
  EXPECT_EQ(reserve.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(reserve), "reservation_closed");
  absl::Status commit = DoCommit("rel-1");
  EXPECT_EQ(commit.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(commit), "reservation_closed");
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(State("rel-1"), "released");
}

TEST_F(InventoryStoreTest, ReleasingAnUnknownIdLeavesATombstoneThatRefusesALateReserve) {
  const std::string a = NewProduct(10);
  v1::Reservation r;
  ASSERT_TRUE(DoRelease("late-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RELEASED);
  EXPECT_EQ(r.items_size(), 0);
  EXPECT_EQ(State("late-1"), "released");
  absl::Status late = DoReserve(Reserve("late-1", {Item(a, 1)}));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(late), "reservation_closed");
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(metrics().released.Value(), 0);
}

TEST_F(InventoryStoreTest, ReleaseRacingReserveOfTheSameIdNeverLeaksStock) {
  // Whichever wins, the stock ends where it started: either the release finds the
  // reservation and returns its stock, or its tombstone refuses the reserve.
  const std::string a = NewProduct(1000);
  constexpr int kPairs = 40;
  std::latch start(2 * kPairs);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPairs; ++i) {
    const std::string id = absl::StrCat("race-", i);
    threads.emplace_back([&, id] {
      start.arrive_and_wait();
      absl::Status s = DoReserve(Reserve(id, {Item(a, 5)}));
      EXPECT_TRUE(s.ok() || ExplicitErrorCodeOf(s) == "reservation_closed") << s;
    });
    threads.emplace_back([&, id] {
      start.arrive_and_wait();
      absl::Status s = DoRelease(id);
      EXPECT_TRUE(s.ok()) << s;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Stock(a), 1000);
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id LIKE 'race-%' AND state = 'released'"),
            std::to_string(kPairs));
}

TEST_F(InventoryStoreTest, CommitKeepsTheStockTakenAndIsFinal) {
  const std::string a = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("com-1", {Item(a, 3)})).ok());
  v1::Reservation r;
  ASSERT_TRUE(DoCommit("com-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_COMMITTED);
  EXPECT_EQ(r.items_size(), 1);
  ASSERT_TRUE(DoCommit("com-1", &r).ok());  // idempotent
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_COMMITTED);
  EXPECT_EQ(metrics().committed.Value(), 1);
  EXPECT_EQ(Stock(a), 7);

  absl::Status release = DoRelease("com-1");
  EXPECT_EQ(release.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(release), "reservation_committed");
  // Repeating the reservation returns it, committed.
  ASSERT_TRUE(DoReserve(Reserve("com-1", {Item(a, 3)}), &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_COMMITTED);
  EXPECT_EQ(Stock(a), 7);
  // Nothing to sweep: a committed reservation never expires.
  ExpireNow("com-1");
  ReservationExpirySweeper sweeper(*store_, refresher_, registry_, {});
  EXPECT_EQ(*sweeper.SweepOnce(), 0);
  EXPECT_EQ(Stock(a), 7);
}

TEST_F(InventoryStoreTest, CommittingAnUnknownIdIsNotFound) {
  absl::Status s = DoCommit("never-reserved");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "reservation_not_found");
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id = 'never-reserved'"), "0");
}

TEST_F(InventoryStoreTest, SweeperExpiresDueReservationsAndReturnsTheirStock) {
  const std::string a = NewProduct(10), b = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("exp-due", {Item(a, 2), Item(b, 1)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("exp-not-due", {Item(a, 1)})).ok());
  ExpireNow("exp-due");
  ReservationExpirySweeper sweeper(*store_, refresher_, registry_, {.batch_size = 10});
  auto swept = sweeper.SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(State("exp-due"), "expired");
  EXPECT_EQ(State("exp-not-due"), "held");
  EXPECT_EQ(Stock(a), 9);
  EXPECT_EQ(Stock(b), 10);
  EXPECT_EQ(cache_.Get(a)->stock(), 9);
  EXPECT_EQ(metrics().expired.Value(), 1);

  // Expired is closed: commit and reserve are refused, release is a no-op.
  EXPECT_EQ(ExplicitErrorCodeOf(DoCommit("exp-due")), "reservation_closed");
  EXPECT_EQ(ExplicitErrorCodeOf(DoReserve(Reserve("exp-due", {Item(a, 2), Item(b, 1)}))),
            "reservation_closed");
  v1::Reservation r;
  ASSERT_TRUE(DoRelease("exp-due", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_EXPIRED);
  EXPECT_EQ(Stock(a), 9);
  EXPECT_EQ(Stock(b), 10);
}

TEST_F(InventoryStoreTest, HeldReservationPastExpiryNotYetSweptMayStillBeCommitted) {
  const std::string a = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("exp-late-commit", {Item(a, 2)})).ok());
  ExpireNow("exp-late-commit");
  v1::Reservation r;
  ASSERT_TRUE(DoCommit("exp-late-commit", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_COMMITTED);
  ReservationExpirySweeper sweeper(*store_, refresher_, registry_, {});
  EXPECT_EQ(*sweeper.SweepOnce(), 0);
  EXPECT_EQ(Stock(a), 8);
}

TEST_F(InventoryStoreTest, BackgroundSweeperReturnsStockOfAShortTtlReservation) {
  const std::string a = NewProduct(10);
  ReservationExpirySweeper sweeper(*store_, refresher_, registry_,
                                   {.interval = std::chrono::milliseconds(50)});
  sweeper.Start();
  ASSERT_TRUE(DoReserve(Reserve("exp-short", {Item(a, 6)}, /*ttl=*/1)).ok());
  EXPECT_EQ(cache_.Get(a)->stock(), 4);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (cache_.Get(a)->stock() != 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sweeper.Stop();
  EXPECT_EQ(cache_.Get(a)->stock(), 10);
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(State("exp-short"), "expired");
  EXPECT_EQ(Sql("SELECT expires_at <= updated_at FROM reservations WHERE id = 'exp-short'"), "t");
}

TEST_F(InventoryStoreTest, ConcurrentSweepersExpireEachReservationOnce) {
  const std::string a = NewProduct(1000);
  constexpr int kReservations = 60;
  for (int i = 0; i < kReservations; ++i) {
    ASSERT_TRUE(DoReserve(Reserve(absl::StrCat("multi-sweep-", i), {Item(a, 3)})).ok());
  }
  Sql("UPDATE reservations SET expires_at = now() - interval '1 second' "
      "WHERE id LIKE 'multi-sweep-%'");
  EXPECT_EQ(Stock(a), 1000 - 3 * kReservations);
  std::atomic<int> expired{0};
  std::latch start(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (;;) {
        auto batch = store_->ExpireReservations(5);
        ASSERT_TRUE(batch.ok()) << batch.status();
        if (batch->reservations == 0) break;
        expired += batch->reservations;
      }
    });
  }
  for (auto& t : threads) t.join();
  // A sweeper that found every due row locked by the others stops early; one more pass
  // picks up whatever they left (nothing, when they all finished).
  auto rest = store_->ExpireReservations(1000);
  ASSERT_TRUE(rest.ok());
  expired += rest->reservations;
  EXPECT_EQ(expired.load(), kReservations);
  EXPECT_EQ(Stock(a), 1000);
  EXPECT_EQ(
      Sql("SELECT count(*) FROM reservations WHERE id LIKE 'multi-sweep-%' AND state = 'expired'"),
      std::to_string(kReservations));
}

TEST_F(InventoryStoreTest, CommitsRacingTheSweeperEndEitherCommittedOrExpired) {
  const std::string a = NewProduct(1000);
  constexpr int kReservations = 40;
  for (int i = 0; i < kReservations; ++i) {
    ASSERT_TRUE(DoReserve(Reserve(absl::StrCat("commit-race-", i), {Item(a, 2)})).ok());
  }
  Sql("UPDATE reservations SET expires_at = now() - interval '1 second' "
      "WHERE id LIKE 'commit-race-%'");
  std::atomic<int> committed{0}, closed{0};
  std::latch start(2);
  std::thread committer([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kReservations; ++i) {
      absl::Status s = DoCommit(absl::StrCat("commit-race-", i));
      if (s.ok()) {
        ++committed;
      } else {
        EXPECT_EQ(ExplicitErrorCodeOf(s), "reservation_closed") << s;
        ++closed;
      }
    }
  });
  std::thread sweeper_thread([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kReservations; ++i) {
      ASSERT_TRUE(store_->ExpireReservations(1).ok());
    }
  });
  committer.join();
  sweeper_thread.join();
  ASSERT_TRUE(store_->ExpireReservations(1000).ok());
  EXPECT_EQ(committed + closed, kReservations);
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id LIKE 'commit-race-%' AND "
                "state = 'committed'"),
            std::to_string(committed.load()));
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id LIKE 'commit-race-%' AND "
                "state = 'expired'"),
            std::to_string(closed.load()));
  // Only the committed ones keep their stock.
  EXPECT_EQ(Stock(a), 1000 - 2 * committed.load());
}

TEST_F(InventoryStoreTest, CheckConstraintRefusesNegativeStockWhateverTheCode) {
  const std::string a = NewProduct(1);
  absl::Status s = pool_->Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params("UPDATE products SET on_hand = on_hand - 2 WHERE id = $1::uuid", a);
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Stock(a), 1);
}

TEST_F(InventoryStoreTest, ReservationTablesRefuseBadRows) {
  const std::string a = NewProduct(1);
  auto exec = [&](const std::string& sql) {
    return pool_->Transact([&](pqxx::work& tx) -> absl::Status {
      tx.exec(sql);
      return absl::OkStatus();
    });
  };
  EXPECT_EQ(exec("INSERT INTO reservations (id, state, expires_at) VALUES "
                 "('bad-state', 'pending', now())")
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(exec("INSERT INTO reservations (id, state, expires_at) VALUES "
                 "('bad id', 'held', now())")
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(exec("INSERT INTO reservations (id, state, expires_at) VALUES "
                   "('zero-qty', 'held', now())")
                  .ok());
  EXPECT_EQ(
      exec(absl::StrCat("INSERT INTO reservation_items VALUES ('zero-qty', '", a, "', 0)")).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      exec(absl::StrCat("INSERT INTO reservation_items VALUES ('zero-qty', '", NewUuid(), "', 1)"))
          .code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST_F(InventoryStoreTest, AdminWritesReachTheDatabaseAndTheCache) {
  Sql("INSERT INTO categories (id, name) VALUES ('kitchen', 'Kitchen'), ('garden', 'Garden') "
      "ON CONFLICT DO NOTHING");
  ScopedCallContext admin(CallContext{.user_id = "admin-1", .user_role = "admin"});
  v1::UpsertProductRequest create;
  auto* p = create.mutable_product();
  p->set_name("Cast iron pan");
  p->set_description("Heavy.");
  p->mutable_price()->set_amount(3999);
  p->mutable_price()->set_currency("USD");
  p->add_categories("kitchen");
  p->set_image_url("/images/products/pan.svg");
  p->set_stock(12);
  v1::Product created;
  ASSERT_TRUE(service_->DoUpsertProduct(create, &created).ok());
  ASSERT_TRUE(IsUuid(created.id()));
  EXPECT_EQ(Sql(absl::StrCat("SELECT name, price_amount, currency, categories, stock, version "
                             "FROM products WHERE id = '",
                             created.id(), "'")),
            "Cast iron pan|3999|USD|{kitchen}|12|1");
  ASSERT_TRUE(cache_.Get(created.id()).has_value());

  v1::UpsertProductRequest patch;
  patch.mutable_product()->set_id(created.id());
  patch.mutable_product()->mutable_price()->set_amount(2999);
  patch.mutable_product()->mutable_price()->set_currency("EUR");
  patch.mutable_product()->add_categories("garden");
  patch.mutable_product()->set_name("ignored: not in the mask");
  patch.mutable_update_mask()->add_paths("price");
  patch.mutable_update_mask()->add_paths("categories");
  v1::Product updated;
  ASSERT_TRUE(service_->DoUpsertProduct(patch, &updated).ok());
  EXPECT_EQ(updated.name(), "Cast iron pan");
  EXPECT_EQ(updated.price().amount(), 2999);
  EXPECT_EQ(Sql(absl::StrCat("SELECT name, price_amount, currency, categories, stock, version "
                             "FROM products WHERE id = '",
                             created.id(), "'")),
            "Cast iron pan|2999|EUR|{garden}|12|2");
  EXPECT_EQ(cache_.Get(created.id())->price().currency(), "EUR");
  ProductQuery garden;
  garden.category = "garden";
  garden.limit = 100;
  ProductPage page = cache_.List(garden);
  ASSERT_EQ(page.products.size(), 1u);
  EXPECT_EQ(page.products[0].id(), created.id());

  v1::SetStockRequest set;
  set.set_product_id(created.id());
  set.set_stock(0);
  v1::Product stocked;
  ASSERT_TRUE(service_->DoSetStock(set, &stocked).ok());
  EXPECT_EQ(stocked.stock(), 0);
  EXPECT_EQ(cache_.Get(created.id())->stock(), 0);
  EXPECT_EQ(ExplicitErrorCodeOf(DoReserve(Reserve("after-set", {Item(created.id(), 1)}))),
            "out_of_stock");

  v1::UpsertProductRequest unknown_category = create;
  unknown_category.mutable_product()->add_categories("toys");
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoUpsertProduct(unknown_category, &updated)),
            "invalid_categories");
  v1::UpsertProductRequest unknown_product = patch;
  unknown_product.mutable_product()->set_id(NewUuid());
  EXPECT_EQ(service_->DoUpsertProduct(unknown_product, &updated).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(InventoryStoreTest, AnotherReplicasCacheHearsOfStockChangesThroughNotify) {
  const std::string a = NewProduct(10);
  ProductCache other_cache;
  CacheRefresher other_refresher(*url_, *store_, other_cache);
  other_refresher.Start();  // LISTENs, then loads everything
  auto wait_for = [&](int64_t stock) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      auto p = other_cache.Get(a);
      if (p && p->stock() == stock) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(10));
  ASSERT_TRUE(DoReserve(Reserve("notify-1", {Item(a, 3)})).ok());
  EXPECT_TRUE(wait_for(7));
  ASSERT_TRUE(DoRelease("notify-1").ok());
  EXPECT_TRUE(wait_for(10));
  other_refresher.Stop();
}

// ---- on hand and held (issue 15, defect 8) ----

// "on_hand|reserved|stock" of a product, and the units its held reservations hold, in one
// snapshot.
std::string Shelf(const std::string& id) {
  return Sql(absl::StrCat(
      "SELECT on_hand || '|' || reserved || '|' || stock || '|' || (SELECT coalesce(sum("
      "i.quantity), 0) FROM reservation_items i JOIN reservations r ON r.id = i.reservation_id "
      "WHERE r.state = 'held' AND i.product_id = p.id) FROM products p WHERE id = '",
      id, "'"));
}

absl::Status SetOnHand(CatalogService& service, const std::string& id, int64_t on_hand,
                       v1::Product* out = nullptr) {
  ScopedCallContext admin(CallContext{.user_id = "admin-1", .user_role = "admin"});
  v1::SetStockRequest request;
  request.set_product_id(id);
  request.set_stock(on_hand);
  v1::Product product;
  absl::Status s = service.DoSetStock(request, &product);
  if (out) *out = product;
  return s;
}

TEST_F(InventoryStoreTest, SetStockSetsOnHandAndAReleaseNeverAddsUnitsTwice) {
  // The repro: 5 on the shelf with 3 held, set to 5, release -> 8 sellable before.
  const std::string a = NewProduct(5);
  ASSERT_TRUE(DoReserve(Reserve("shelf-1", {Item(a, 3)})).ok());
  EXPECT_EQ(Shelf(a), "5|3|2|3");
  v1::Product set;
  ASSERT_TRUE(SetOnHand(*service_, a, 5, &set).ok());
  EXPECT_EQ(set.stock(), 2);
  EXPECT_EQ(set.on_hand(), 5);
  EXPECT_EQ(set.reserved(), 3);
  EXPECT_EQ(cache_.Get(a)->stock(), 2);
  ASSERT_TRUE(DoRelease("shelf-1").ok());
  EXPECT_EQ(Shelf(a), "5|0|5|0");
  EXPECT_EQ(cache_.Get(a)->stock(), 5);
}

TEST_F(InventoryStoreTest, CommitTakesSoldUnitsOffTheShelfAndExpiryReturnsHeldOnes) {
  const std::string a = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("shelf-c", {Item(a, 4)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("shelf-e", {Item(a, 2)})).ok());
  EXPECT_EQ(Shelf(a), "10|6|4|6");
  ASSERT_TRUE(SetOnHand(*service_, a, 8).ok());  // two units broke: 8 on the shelf
  EXPECT_EQ(Shelf(a), "8|6|2|6");
  ASSERT_TRUE(DoCommit("shelf-c").ok());
  EXPECT_EQ(Shelf(a), "4|2|2|2");
  EXPECT_EQ(cache_.Get(a)->on_hand(), 4);
  ExpireNow("shelf-e");
  auto expired = store_->ExpireReservations(100);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->product_ids, std::vector<std::string>{a});
  EXPECT_EQ(Shelf(a), "4|0|4|0");
}

TEST_F(InventoryStoreTest, OnHandBelowWhatIsHeldIsRefusedAndChangesNothing) {
  const std::string a = NewProduct(5);
  ASSERT_TRUE(DoReserve(Reserve("shelf-low", {Item(a, 3)})).ok());
  absl::Status s = SetOnHand(*service_, a, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "stock_below_reserved");
  EXPECT_EQ(s.message(),
            "stock (on hand) cannot be 2: 3 units are held by pending orders; set at least 3 or "
            "retry when they are sold or released");
  // The same through UpsertProduct's stock field.
  ScopedCallContext admin(CallContext{.user_id = "admin-1", .user_role = "admin"});
  v1::UpsertProductRequest patch;
  patch.mutable_product()->set_id(a);
  patch.mutable_product()->set_stock(1);
  patch.mutable_update_mask()->add_paths("stock");
  v1::Product updated;
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoUpsertProduct(patch, &updated)),
            "stock_below_reserved");
  EXPECT_EQ(Shelf(a), "5|3|2|3");
  ASSERT_TRUE(SetOnHand(*service_, a, 3).ok());
  EXPECT_EQ(Shelf(a), "3|3|0|3");
  EXPECT_EQ(SetOnHand(*service_, NewUuid(), 3).code(), absl::StatusCode::kNotFound);
}

TEST_F(InventoryStoreTest, ConstraintsKeepHeldWithinOnHandWhateverTheCode) {
  const std::string a = NewProduct(2);
  for (const char* sql : {"UPDATE products SET reserved = 3 WHERE id = $1::uuid",
                          "UPDATE products SET reserved = -1 WHERE id = $1::uuid",
                          "UPDATE products SET stock = 7 WHERE id = $1::uuid"}) {
    absl::Status s = pool_->Transact([&](pqxx::work& tx) -> absl::Status {
      tx.exec_params(sql, a);
      return absl::OkStatus();
    });
    EXPECT_FALSE(s.ok()) << sql;
  }
  EXPECT_EQ(Shelf(a), "2|0|2|0");
}

TEST_F(InventoryStoreTest, SetStockRacingReleasesAndCommitsNeverCountsAHeldUnitTwice) {
  // Per round: 5 on hand, 3 reservations of 1 held; then at once the admin sets 5 on hand,
  // one reservation is released, one committed, one expired. On hand is what the admin
  // counted minus what was sold after the count: 4 when the commit came after the set, 5
  // when before. Nothing held is ever sellable twice (before the fix: up to 7 sellable).
  constexpr int kRounds = 30;
  std::vector<std::string> products;
  for (int round = 0; round < kRounds; ++round) {
    const std::string a = NewProduct(5);
    products.push_back(a);
    for (const char* r : {"rel", "com", "exp"}) {
      ASSERT_TRUE(DoReserve(Reserve(absl::StrCat("race-", r, "-", round), {Item(a, 1)})).ok());
    }
    ExpireNow(absl::StrCat("race-exp-", round));
    std::latch start(4);
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_TRUE(SetOnHand(*service_, a, 5).ok());
    });
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_TRUE(DoRelease(absl::StrCat("race-rel-", round)).ok());
    });
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_TRUE(DoCommit(absl::StrCat("race-com-", round)).ok());
    });
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_TRUE(store_->ExpireReservations(1000).ok());
    });
    for (auto& t : threads) t.join();
    const std::string shelf = Shelf(a);
    EXPECT_TRUE(shelf == "4|0|4|0" || shelf == "5|0|5|0") << "round " << round << ": " << shelf;
  }
}

TEST_F(InventoryStoreTest, OnHandMinusHeldStaysConsistentUnderAnyInterleaving) {
  // Shoppers reserve, commit and release; an admin sets on hand; the sweeper expires; a
  // watcher reads the row and the held reservations in one snapshot all the while and must
  // always find reserved = the held units and 0 <= reserved <= on_hand.
  const std::string a = NewProduct(50);
  std::atomic<bool> stop{false};
  std::atomic<int> snapshots{0};
  std::thread watcher([&] {
    while (!stop) {
      const std::vector<std::string> f = absl::StrSplit(Shelf(a), '|');
      ASSERT_EQ(f.size(), 4u);
      const int64_t on_hand = std::stoll(f[0]), reserved = std::stoll(f[1]);
      EXPECT_EQ(f[1], f[3]) << "reserved differs from the held units";
      EXPECT_GE(reserved, 0);
      EXPECT_LE(reserved, on_hand);
      EXPECT_EQ(std::stoll(f[2]), on_hand - reserved);
      ++snapshots;
    }
  });
  // The writers start once the watcher is reading, and it reads until they are all done, so
  // it watches the whole run however the machine schedules the threads.
  while (snapshots.load() == 0) std::this_thread::yield();
  std::vector<std::thread> shoppers;
  for (int t = 0; t < 6; ++t) {
    shoppers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const std::string id = absl::StrCat("mix-", t, "-", i);
        if (!DoReserve(Reserve(id, {Item(a, 1 + (i % 3))})).ok()) continue;
        if (i % 3 == 0) {
          EXPECT_TRUE(DoCommit(id).ok());
        } else if (i % 3 == 1) {
          EXPECT_TRUE(DoRelease(id).ok());
        } else {
          ExpireNow(id);
        }
      }
    });
  }
  std::thread admin([&] {
    for (int i = 0; i < 60; ++i) {
      absl::Status s = SetOnHand(*service_, a, 20 + (i % 4) * 10);
      EXPECT_TRUE(s.ok() || ExplicitErrorCodeOf(s) == "stock_below_reserved") << s;
    }
  });
  std::thread sweeper([&] {
    for (int i = 0; i < 60; ++i) EXPECT_TRUE(store_->ExpireReservations(100).ok());
  });
  for (auto& t : shoppers) t.join();
  admin.join();
  sweeper.join();
  ASSERT_TRUE(store_->ExpireReservations(10000).ok());
  stop = true;
  watcher.join();
  EXPECT_GE(snapshots.load(), 2);
  const std::vector<std::string> f = absl::StrSplit(Shelf(a), '|');
  EXPECT_EQ(f[1], "0");
  EXPECT_EQ(f[2], f[0]);
}

TEST(InventoryMigrationTest, HeldUnitsOfTheOldStockColumnBecomeReserved) {
  // A database at migration 003 with the old meaning (stock = available now, held units
  // already taken out) is converted: on_hand = stock + held, reserved = held.
  const std::string url = PostgresServer::Shared()->CreateDatabase("inventory_migration_test");
  auto pool = PgPool::Create({.conninfo = url, .size = 2});
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::vector<EmbeddedFile> before(Migrations().begin(), Migrations().begin() + 3);
  ASSERT_EQ(*ApplyMigrations(**pool, before), 3);
  auto sql = [](const std::string& q) {
    return PostgresServer::Shared()->Psql("inventory_migration_test", q);
  };
  const std::string a = NewUuid(), b = NewUuid();
  sql(absl::StrCat("INSERT INTO products (id, name, price_amount, currency, stock) VALUES ('", a,
                   "', 'a', 100, 'USD', 2), ('", b,
                   "', 'b', 100, 'USD', 7); "
                   "INSERT INTO reservations (id, state, expires_at) VALUES "
                   "('h1', 'held', now()), ('h2', 'held', now()), ('c1', 'committed', now()), "
                   "('r1', 'released', now()); "
                   "INSERT INTO reservation_items VALUES ('h1', '",
                   a, "', 3), ('h2', '", a, "', 1), ('c1', '", a, "', 5), ('r1', '", b, "', 4)"));
  ASSERT_EQ(*ApplyMigrations(**pool, Migrations()), static_cast<int>(Migrations().size()) - 3);
  EXPECT_EQ(sql(absl::StrCat("SELECT on_hand || '|' || reserved || '|' || stock FROM products "
                             "WHERE id = '",
                             a, "'")),
            "6|4|2");
  EXPECT_EQ(sql(absl::StrCat("SELECT on_hand || '|' || reserved || '|' || stock FROM products "
                             "WHERE id = '",
                             b, "'")),
            "7|0|7");
}

// ---- returned stock (issue 14) ----

// The StockChanged events of product `id` in the outbox: "sellable/low_stock,...".
std::string StockEvents(const std::string& id) {
  std::vector<std::string> seen;
  const std::string rows =
      Sql(absl::StrCat("SELECT string_agg(encode(payload, 'hex'), ',' ORDER BY id) FROM outbox "
                       "WHERE aggregate_id = '",
                       id, "' AND event_type = 'mercato.events.v1.StockChanged'"));
  for (absl::string_view row : absl::StrSplit(rows, ',', absl::SkipEmpty())) {
    events::v1::Envelope e;
    EXPECT_TRUE(e.ParseFromString(absl::HexStringToBytes(row)));
    seen.push_back(absl::StrCat(e.stock_changed().sellable_quantity(), "/",
                                e.stock_changed().low_stock() ? "low" : "ok"));
  }
  return absl::StrJoin(seen, ",");
}

TEST_F(InventoryStoreTest, ReturnStockPutsCommittedUnitsBackOnHandOnce) {
  const std::string a = NewProduct(10), b = NewProduct(3);
  ASSERT_TRUE(DoReserve(Reserve("ret-1", {Item(a, 4), Item(b, 3)})).ok());
  ASSERT_TRUE(DoCommit("ret-1").ok());
  EXPECT_EQ(Shelf(a), "6|0|6|0");
  EXPECT_EQ(Shelf(b), "0|0|0|0");
  v1::Reservation r;
  ASSERT_TRUE(DoReturn("ret-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(r.items_size(), 2);
  EXPECT_EQ(State("ret-1"), "returned");
  EXPECT_EQ(Shelf(a), "10|0|10|0");
  EXPECT_EQ(Shelf(b), "3|0|3|0");
  EXPECT_EQ(cache_.Get(a)->stock(), 10);
  EXPECT_EQ(cache_.Get(b)->stock(), 3);
  // Idempotent: a repeat returns it as it is and puts nothing back again.
  ASSERT_TRUE(DoReturn("ret-1", &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(Shelf(a), "10|0|10|0");
  EXPECT_EQ(metrics().returned.Value(), 1);
  // created 10, reserved 6, (commit: none), returned 10 / created 3, reserved 0, returned 3.
  EXPECT_EQ(StockEvents(a), "10/ok,6/ok,10/ok");
  EXPECT_EQ(StockEvents(b), "3/low,0/low,3/low");
  // Returned is final.
  EXPECT_EQ(ExplicitErrorCodeOf(DoCommit("ret-1")), "reservation_closed");
  EXPECT_EQ(ExplicitErrorCodeOf(DoRelease("ret-1")), "reservation_committed");
  EXPECT_EQ(ExplicitErrorCodeOf(DoReserve(Reserve("ret-1", {Item(a, 4), Item(b, 3)}))),
            "reservation_closed");
  EXPECT_EQ(Shelf(a), "10|0|10|0");
}

TEST_F(InventoryStoreTest, OnlyCommittedReservationsAreReturned) {
  const std::string a = NewProduct(10);
  ASSERT_TRUE(DoReserve(Reserve("ret-held", {Item(a, 1)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("ret-released", {Item(a, 1)})).ok());
  ASSERT_TRUE(DoRelease("ret-released").ok());
  ASSERT_TRUE(DoReserve(Reserve("ret-expired", {Item(a, 1)})).ok());
  ExpireNow("ret-expired");
  ASSERT_TRUE(store_->ExpireReservations(100).ok());
  for (const char* id : {"ret-held", "ret-released", "ret-expired"}) {
    absl::Status s = DoReturn(id);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << id;
    EXPECT_EQ(ExplicitErrorCodeOf(s), "reservation_not_committed") << id;
  }
  EXPECT_EQ(Shelf(a), "10|1|9|1");
  absl::Status unknown = DoReturn("ret-never-reserved");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(unknown), "reservation_not_found");
  EXPECT_EQ(Sql("SELECT count(*) FROM reservations WHERE id = 'ret-never-reserved'"), "0");
  EXPECT_EQ(ExplicitErrorCodeOf(DoReturn("bad id!")), "invalid_reservation_id");
  EXPECT_EQ(metrics().returned.Value(), 0);
}

TEST_F(InventoryStoreTest, ConcurrentReturnsOfOneReservationReturnItsStockOnce) {
  const std::string a = NewProduct(20);
  ASSERT_TRUE(DoReserve(Reserve("ret-race", {Item(a, 5)})).ok());
  ASSERT_TRUE(DoCommit("ret-race").ok());
  std::vector<absl::Status> results(16);
  std::vector<v1::Reservation> replies(16);
  testing::RunConcurrently(16, [&](int i) { results[i] = DoReturn("ret-race", &replies[i]); });
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i];
    EXPECT_EQ(replies[i].state(), v1::RESERVATION_STATE_RETURNED);
  }
  EXPECT_EQ(Shelf(a), "20|0|20|0");
  EXPECT_EQ(metrics().returned.Value(), 1);
  EXPECT_EQ(StockEvents(a), "20/ok,15/ok,20/ok");
}

}  // namespace
}  // namespace mercato::catalog
