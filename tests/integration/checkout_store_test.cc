// PostgresCheckoutStore against a real PostgreSQL: one order per (user, key) under
// concurrency, lease fencing, claims of stalled orders that never overlap, the database's
// own guard on the saga's steps, history, listing, and the saga on top of it (with simulated
// dependencies) under concurrent repeats of one key.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "checkout/order_saga.h"
#include "checkout/payment_event_recorder.h"
#include "checkout/postgres_checkout_store.h"
#include "common/ids.h"
#include "common/status.h"
#include "db/migrations.h"
#include "events/contracts.h"
#include "support/checkout_world.h"
#include "support/concurrency.h"
#include "support/migrated_database.h"
#include "support/postgres.h"
#include "support/process.h"

namespace mercato::checkout {
namespace {

using mercato::testing::MigratedDatabase;
using mercato::testing::PostgresServer;
using mercato::testing::RunConcurrently;

constexpr char kDatabase[] = "checkout_store_test";
constexpr int kPoolSize = 16;

OrderRecord NewOrder(const std::string& user, const std::string& key, int items = 2) {
  OrderRecord r;
  r.order.set_id(NewUuid());
  r.order.set_user_id(user);
  r.idempotency_key = key;
  r.request_fingerprint = "fp-" + key;
  r.step = OrderStep::kPriced;
  int64_t subtotal = 0;
  for (int i = 0; i < items; ++i) {
    auto* item = r.order.add_items();
    item->set_product_id(NewUuid());
    item->set_name(absl::StrCat("Item ", i, " with 'quotes', commas and \"more\""));
    item->set_quantity(i + 1);
    item->mutable_unit_price()->set_amount(1000);
    item->mutable_unit_price()->set_currency("USD");
    item->mutable_line_total()->set_amount(1000 * (i + 1));
    item->mutable_line_total()->set_currency("USD");
    subtotal += 1000 * (i + 1);
  }
  auto money = [](common::v1::Money* m, int64_t amount) {
    m->set_amount(amount);
    m->set_currency("USD");
  };
  money(r.order.mutable_subtotal(), subtotal);
  money(r.order.mutable_shipping(), 499);
  money(r.order.mutable_tax(), TaxFor(subtotal));
  money(r.order.mutable_total(), subtotal + 499 + TaxFor(subtotal));
  auto* a = r.order.mutable_shipping_address();
  a->set_name("Ann");
  a->set_line1("1 Main St");
  a->set_city("Berlin");
  a->set_country("DE");
  return r;
}

class CheckoutStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = MigratedDatabase(kDatabase, {.size = kPoolSize}, Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    pool_ = db->pool.release();
    store_ = new PostgresCheckoutStore(*pool_);
  }
  static void TearDownTestSuite() {
    delete store_;
    delete pool_;
  }
  static std::string Sql(const std::string& sql) {
    return PostgresServer::Shared()->Psql(kDatabase, sql);
  }
  // Makes a pending order look abandoned: lease run out, last step a minute ago.
  static void Expire(const std::string& id) {
    Sql("UPDATE orders SET lease_until = now() - interval '1 second', updated_at = now() - "
        "interval '1 minute' WHERE id = '" +
        id + "'");
  }

  static PgPool* pool_;
  static PostgresCheckoutStore* store_;
};

PgPool* CheckoutStoreTest::pool_ = nullptr;
PostgresCheckoutStore* CheckoutStoreTest::store_ = nullptr;

TEST_F(CheckoutStoreTest, CreateStoresTheOrderWithItemsAndReadsItBack) {
  OrderRecord order = NewOrder("ann", NewUuid(), 3);
  auto created = store_->CreateOrder(order, "owner", absl::Seconds(30));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->created);
  EXPECT_GT(created->record.seq, 0);
  EXPECT_GT(created->record.order.created_at_unix_ms(), 0);
  EXPECT_EQ(created->record.order.items_size(), 3);

  auto got = store_->GetOrder(order.order.id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->order.id(), order.order.id());
  EXPECT_EQ(got->order.user_id(), "ann");
  EXPECT_EQ(got->order.status(), v1::ORDER_STATUS_PENDING);
  EXPECT_EQ(got->step, OrderStep::kPriced);
  ASSERT_EQ(got->order.items_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got->order.items(i).product_id(), order.order.items(i).product_id());
    EXPECT_EQ(got->order.items(i).name(), order.order.items(i).name());
    EXPECT_EQ(got->order.items(i).quantity(), i + 1);
    EXPECT_EQ(got->order.items(i).line_total().amount(), 1000 * (i + 1));
    EXPECT_EQ(got->order.items(i).line_total().currency(), "USD");
  }
  EXPECT_EQ(got->order.total().amount(), order.order.total().amount());
  EXPECT_EQ(got->order.shipping_address().city(), "Berlin");
  EXPECT_EQ(got->request_fingerprint, order.request_fingerprint);
  ASSERT_EQ(got->order.history_size(), 1);
  EXPECT_EQ(got->order.history(0).step(), "priced");
  EXPECT_EQ(got->order.history(0).detail(), "order created");

  EXPECT_EQ(ErrorCodeOf(store_->GetOrder(NewUuid()).status()), "order_not_found");
  EXPECT_EQ(ErrorCodeOf(store_->GetOrder("not-a-uuid").status()), "order_not_found");
}

TEST_F(CheckoutStoreTest, OneOrderPerUserAndKeyUnderConcurrency) {
  const std::string key = NewUuid();
  std::vector<CreateOrderResult> results(20);
  RunConcurrently(20, [&](int i) {
    auto r =
        store_->CreateOrder(NewOrder("ann", key), absl::StrCat("owner-", i), absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << r.status();
    results[i] = *r;
  });
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ids.insert(r.record.order.id());
    created += r.created;
    EXPECT_EQ(r.record.order.items_size(), 2);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Sql("SELECT count(*) FROM orders WHERE idempotency_key = '" + key + "'"), "1");
  // The key is per user.
  auto other = store_->CreateOrder(NewOrder("bob", key), "owner", absl::Seconds(30));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  auto found = store_->FindByIdempotencyKey("ann", key);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->order.id(), *ids.begin());
  EXPECT_FALSE(store_->FindByIdempotencyKey("carl", key)->has_value());
}

TEST_F(CheckoutStoreTest, OneLiveOrderPerUserAndCartRevisionUnderConcurrency) {
  // Issue 15, defect 12: five tabs checking out one cart with five keys.
  const std::string revision = RandomToken(16);
  std::vector<CreateOrderResult> results(20);
  RunConcurrently(20, [&](int i) {
    OrderRecord order = NewOrder("cara", NewUuid());
    order.cart_revision = revision;
    auto r = store_->CreateOrder(order, absl::StrCat("owner-", i), absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << r.status();
    results[i] = *r;
  });
  int created = 0, refused = 0;
  std::string winner;
  for (const auto& r : results) {
    if (r.created) {
      ++created;
      winner = r.record.order.id();
      EXPECT_EQ(r.record.cart_revision, revision);
    } else {
      EXPECT_EQ(r.cart_ordered_at, OrderStep::kPriced);
      ++refused;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(refused, 19);
  EXPECT_EQ(Sql("SELECT count(*) FROM orders WHERE user_id = 'cara'"), "1");
  // Another user's cart may have any revision; a repeat of the winner's key is a replay.
  OrderRecord other = NewOrder("dave", NewUuid());
  other.cart_revision = revision;
  EXPECT_TRUE(store_->CreateOrder(other, "o", absl::Seconds(30))->created);

  // Once the order failed, the revision is free again; once one is paid, never.
  Sql("UPDATE orders SET status = 'failed', step = 'failed', failure_code = 'payment_declined' "
      "WHERE id = '" +
      winner + "'");
  OrderRecord again = NewOrder("cara", NewUuid());
  again.cart_revision = revision;
  auto second = store_->CreateOrder(again, "o", absl::Seconds(30));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->created);
  Sql("UPDATE orders SET step = 'reserved' WHERE id = '" + again.order.id() +
      "'; UPDATE orders SET status = 'paid', step = 'paid', payment_id = 'p' WHERE id = '" +
      again.order.id() + "'");
  OrderRecord third = NewOrder("cara", NewUuid());
  third.cart_revision = revision;
  auto refused_paid = store_->CreateOrder(third, "o", absl::Seconds(30));
  ASSERT_TRUE(refused_paid.ok());
  EXPECT_FALSE(refused_paid->created);
  EXPECT_EQ(refused_paid->cart_ordered_at, OrderStep::kPaid);
}

TEST_F(CheckoutStoreTest, TheDatabaseHoldsOneLiveOrderPerCartRevisionWhateverTheCode) {
  OrderRecord order = NewOrder("erin", NewUuid());
  order.cart_revision = "rev-sql";
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30))->created);
  absl::Status duplicate = pool_->Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO orders (id, user_id, idempotency_key, request_fingerprint, status, step, "
        "cart_revision) VALUES ($1::uuid, 'erin', 'k2', 'fp', 'pending', 'priced', 'rev-sql')",
        NewUuid());
    return absl::OkStatus();
  });
  EXPECT_FALSE(duplicate.ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM orders WHERE cart_revision = 'rev-sql'"), "1");
}

TEST_F(CheckoutStoreTest, AdvanceIsFencedByTheLease) {
  OrderRecord order = NewOrder("ann", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(order, "owner-1", absl::Seconds(30)).ok());
  ASSERT_TRUE(store_
                  ->Advance(order, "owner-1",
                            {.step = OrderStep::kReserved, .detail = "stock reserved"},
                            absl::Seconds(30))
                  .ok());
  EXPECT_EQ(order.step, OrderStep::kReserved);
  // Someone else's token changes nothing.
  OrderRecord copy = order;
  const absl::Status stolen = store_->Advance(
      copy, "owner-2", {.step = OrderStep::kAuthorized, .payment_id = "p"}, absl::Seconds(30));
  EXPECT_EQ(ErrorCodeOf(stolen), "lease_lost");
  EXPECT_EQ(copy.step, OrderStep::kReserved);
  // Recovery takes over once the lease has run out; the old owner is fenced off.
  Expire(order.order.id());
  auto claimed = store_->ClaimStalled("owner-2", absl::Seconds(30), 100);
  ASSERT_TRUE(claimed.ok());
  bool found = false;
  for (const auto& r : *claimed) found |= r.order.id() == order.order.id();
  EXPECT_TRUE(found);
  EXPECT_EQ(ErrorCodeOf(store_->Advance(order, "owner-1", {.step = OrderStep::kAuthorized},
                                        absl::Seconds(30))),
            "lease_lost");
  ASSERT_TRUE(store_
                  ->Advance(order, "owner-2",
                            {.step = OrderStep::kAuthorized,
                             .detail = "payment authorized",
                             .payment_id = "pay-1",
                             .card_brand = "visa",
                             .card_last4 = "4242"},
                            absl::Seconds(30))
                  .ok());
  ASSERT_TRUE(store_
                  ->Advance(order, "owner-2",
                            {.step = OrderStep::kPaid, .detail = "reservation committed"},
                            absl::Seconds(30))
                  .ok());
  // Terminal: nobody may change it any more, not even its last owner.
  EXPECT_EQ(ErrorCodeOf(
                store_->Advance(order, "owner-2", {.step = OrderStep::kFailed}, absl::Seconds(30))),
            "lease_lost");
  auto got = store_->GetOrder(order.order.id());
  EXPECT_EQ(got->order.status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(got->order.payment_id(), "pay-1");
  EXPECT_EQ(got->order.card_last4(), "4242");
  std::vector<std::string> steps;
  for (const auto& h : got->order.history()) steps.push_back(h.step() + ":" + h.detail());
  EXPECT_EQ(steps, (std::vector<std::string>{"priced:order created", "reserved:stock reserved",
                                             "authorized:payment authorized",
                                             "paid:reservation committed"}));
  EXPECT_EQ(Sql("SELECT lease_owner FROM orders WHERE id = '" + order.order.id() + "'"), "");
}

TEST_F(CheckoutStoreTest, FailedOrderKeepsTheErrorToReplay) {
  OrderRecord order = NewOrder("ann", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
  ASSERT_TRUE(store_
                  ->Advance(order, "o",
                            {.step = OrderStep::kFailed,
                             .detail = "stock released",
                             .failure_code = "payment_declined",
                             .failure_status = absl::StatusCode::kFailedPrecondition,
                             .failure_message = "the card was declined"},
                            absl::Seconds(30))
                  .ok());
  auto found = store_->FindByIdempotencyKey("ann", order.idempotency_key);
  ASSERT_TRUE(found.ok() && found->has_value());
  const OrderRecord& r = **found;
  EXPECT_EQ(r.step, OrderStep::kFailed);
  EXPECT_EQ(r.order.status(), v1::ORDER_STATUS_FAILED);
  EXPECT_EQ(r.order.failure_code(), "payment_declined");
  EXPECT_EQ(r.failure_status, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.failure_message, "the card was declined");
  const absl::Status replay = OrderSaga::FailureOf(r);
  EXPECT_EQ(replay.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(replay), "payment_declined");
  EXPECT_EQ(HttpStatusOf(replay), 402);

  // An outcome known at once is stored terminal, without a lease and without items.
  OrderRecord empty = NewOrder("ann", NewUuid(), 0);
  empty.step = OrderStep::kFailed;
  empty.order.set_failure_code("cart_empty");
  empty.failure_status = absl::StatusCode::kFailedPrecondition;
  empty.failure_message = "the cart is empty";
  empty.order.clear_subtotal();
  empty.order.clear_shipping();
  empty.order.clear_tax();
  empty.order.clear_total();
  auto created = store_->CreateOrder(empty, "o", absl::Seconds(30));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->record.order.status(), v1::ORDER_STATUS_FAILED);
  EXPECT_EQ(Sql("SELECT lease_owner || '|' || item_count FROM orders WHERE id = '" +
                empty.order.id() + "'"),
            "|0");
}

TEST_F(CheckoutStoreTest, TheDatabaseRefusesStepsBackAndChangesToTerminalOrders) {
  OrderRecord order = NewOrder("ann", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
  ASSERT_TRUE(store_
                  ->Advance(order, "o", {.step = OrderStep::kCaptured, .payment_id = "p"},
                            absl::Seconds(30))
                  .ok());
  const absl::Status back =
      store_->Advance(order, "o", {.step = OrderStep::kReserved}, absl::Seconds(30));
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition) << back;
  EXPECT_EQ(order.step, OrderStep::kCaptured);
  const std::string id = order.order.id();
  // Hand-written SQL meets the same guard.
  std::string out;
  const std::string url = PostgresServer::Shared()->Url(kDatabase);
  auto bindir = mercato::testing::FindPostgresBinDir();
  ASSERT_TRUE(bindir.ok());
  auto psql = [&](const std::string& sql) {
    return mercato::testing::RunCommand(
        absl::StrCat(*bindir, "/psql -X -q -v ON_ERROR_STOP=1 -d '", url, "' -c \"", sql, "\""),
        &out);
  };
  EXPECT_NE(psql("UPDATE orders SET step = 'priced' WHERE id = '" + id + "'"), 0);
  EXPECT_NE(out.find("order step cannot move back from captured to priced"), std::string::npos)
      << out;
  ASSERT_TRUE(store_->Advance(order, "o", {.step = OrderStep::kPaid}, absl::Seconds(30)).ok());
  EXPECT_NE(psql("UPDATE orders SET step = 'failed', status = 'failed', failure_code = 'x' "
                 "WHERE id = '" +
                 id + "'"),
            0);
  EXPECT_NE(out.find("order is paid and cannot become failed"), std::string::npos) << out;
  EXPECT_NE(psql("UPDATE orders SET payment_id = 'other' WHERE id = '" + id + "'"), 0);
  EXPECT_NE(out.find("a paid order cannot change"), std::string::npos) << out;
  EXPECT_NE(psql("UPDATE orders SET status = 'paid' WHERE id = '" + id + "' OR step = 'priced'"),
            0);
  EXPECT_NE(out.find("violates check constraint"), std::string::npos) << out;
  EXPECT_EQ(Sql("SELECT status FROM orders WHERE id = '" + id + "'"), "paid");
}

TEST_F(CheckoutStoreTest, ConcurrentClaimsNeverShareAnOrder) {
  Sql("UPDATE orders SET status = 'failed', step = 'failed', failure_code = 'test', "
      "lease_owner = '' WHERE status = 'pending'");
  std::set<std::string> stalled;
  for (int i = 0; i < 40; ++i) {
    OrderRecord order = NewOrder("claims", NewUuid());
    ASSERT_TRUE(store_->CreateOrder(order, "dead", absl::Seconds(30)).ok());
    Expire(order.order.id());
    stalled.insert(order.order.id());
  }
  // One more whose lease is still running: never claimed.
  OrderRecord live = NewOrder("claims", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(live, "live", absl::Seconds(30)).ok());

  std::vector<std::vector<std::string>> claimed(8);
  RunConcurrently(8, [&](int i) {
    for (;;) {
      auto batch = store_->ClaimStalled(absl::StrCat("recovery-", i), absl::Seconds(30), 3);
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        claimed[i].push_back(r.order.id());
        EXPECT_EQ(r.order.items_size(), 0);
        EXPECT_EQ(r.step, OrderStep::kPriced);
      }
    }
  });
  std::multiset<std::string> all;
  for (const auto& c : claimed) all.insert(c.begin(), c.end());
  EXPECT_EQ(all.size(), 40u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), stalled);
  EXPECT_EQ(Sql("SELECT count(*) FROM orders WHERE recovery_attempts = 1 AND user_id = 'claims'"),
            "40");
  // A given-up lease is claimable at once.
  ASSERT_TRUE(store_->ReleaseLease(live.order.id(), "someone-else").ok());
  EXPECT_TRUE(store_->ClaimStalled("r", absl::Seconds(30), 10)->empty());
  ASSERT_TRUE(store_->ReleaseLease(live.order.id(), "live").ok());
  auto taken = store_->ClaimStalled("r", absl::Seconds(30), 10);
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(taken->front().order.id(), live.order.id());
}

TEST_F(CheckoutStoreTest, ListIsTheUsersOrdersWithItemsNewestFirst) {
  const std::string user = "lister-" + NewUuid();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    OrderRecord order = NewOrder(user, NewUuid(), 1 + i % 2);
    ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
    ids.push_back(order.order.id());
  }
  OrderRecord empty = NewOrder(user, NewUuid(), 0);
  empty.step = OrderStep::kFailed;
  empty.order.set_failure_code("cart_empty");
  ASSERT_TRUE(store_->CreateOrder(empty, "o", absl::Seconds(30)).ok());
  ASSERT_TRUE(
      store_->CreateOrder(NewOrder("someone-else", NewUuid()), "o", absl::Seconds(30)).ok());

  auto page1 = store_->ListOrders(user, 3, 0);
  ASSERT_TRUE(page1.ok()) << page1.status();
  ASSERT_EQ(page1->size(), 3u);
  EXPECT_EQ((*page1)[0].order.id(), ids[4]);
  EXPECT_EQ((*page1)[1].order.id(), ids[3]);
  EXPECT_EQ((*page1)[2].order.id(), ids[2]);
  EXPECT_EQ((*page1)[0].order.items_size(), 1);
  EXPECT_EQ((*page1)[1].order.items_size(), 2);
  auto page2 = store_->ListOrders(user, 3, page1->back().seq);
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].order.id(), ids[1]);
  EXPECT_EQ((*page2)[1].order.id(), ids[0]);
  EXPECT_TRUE(store_->ListOrders("nobody", 10, 0)->empty());
}

// The saga on the real store: 30 concurrent repeats of one key make one order and one
// authorization; the others see in_progress or the order.
TEST_F(CheckoutStoreTest, SagaMakesOneOrderForConcurrentRepeatsOfOneKey) {
  prometheus::Registry registry;
  CheckoutMetrics metrics(registry);
  World world;
  world.AddProduct("11111111-1111-4111-8111-111111111111", "Knife", 2599, 100);
  world.cart_lines = {{"11111111-1111-4111-8111-111111111111", 1}};
  OrderSaga saga(*store_, world.catalog, world.cart, world.payment, metrics, SagaOptions{});
  v1::PlaceOrderRequest request = NewOrderRequest();
  std::vector<absl::StatusOr<v1::Order>> results(30, absl::UnknownError("not run"));
  RunConcurrently(30, [&](int i) { results[i] = saga.PlaceOrder("saga-user", request); });
  std::set<std::string> ids;
  int ok = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
      ids.insert(r->id());
      EXPECT_EQ(r->status(), v1::ORDER_STATUS_PAID);
    } else {
      EXPECT_EQ(ErrorCodeOf(r.status()), "in_progress") << r.status();
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(world.Count("Authorize"), 1);
  EXPECT_EQ(world.Count("ReserveStock"), 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM orders WHERE user_id = 'saga-user'"), "1");
}

// The order's events in the outbox, in order (order_events.h): their types, comma-separated.
std::string OutboxOf(const std::string& order_id) {
  return PostgresServer::Shared()->Psql(
      kDatabase,
      "SELECT coalesce(string_agg(event_type, ',' ORDER BY id), '') FROM outbox "
      "WHERE aggregate_id = '" +
          order_id + "'");
}

TEST_F(CheckoutStoreTest, OrderEventsAreAppendedWithTheirStepsOnly) {
  OrderRecord order = NewOrder("eve", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
  // A repeat of the request creates nothing and publishes nothing.
  auto again = store_->CreateOrder(NewOrder("eve", order.idempotency_key), "o2", absl::Seconds(30));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(OutboxOf(order.order.id()), "mercato.events.v1.OrderPlaced");
  ASSERT_TRUE(store_->Advance(order, "o", {.step = OrderStep::kReserved}, absl::Seconds(30)).ok());
  // Someone else's lease: refused, and no event.
  EXPECT_FALSE(store_->Advance(order, "other", {.step = OrderStep::kPaid}, absl::Seconds(30)).ok());
  ASSERT_TRUE(store_
                  ->Advance(order, "o", {.step = OrderStep::kPaid, .payment_id = "pay-1"},
                            absl::Seconds(30))
                  .ok());
  EXPECT_EQ(OutboxOf(order.order.id()),
            "mercato.events.v1.OrderPlaced,mercato.events.v1.OrderPaid");
}

TEST_F(CheckoutStoreTest, AnOrderRefusedBeforePricingPublishesNothing) {
  OrderRecord order = NewOrder("eve", NewUuid(), 0);
  order.step = OrderStep::kFailed;
  order.order.set_failure_code("cart_empty");
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
  EXPECT_EQ(OutboxOf(order.order.id()), "");
}

events::v1::Envelope PaymentEvent(const std::string& order_id, bool captured) {
  events::v1::Envelope e = events::NewEvent("payment");
  auto set = [&](auto* p) {
    p->set_payment_id("pay-" + order_id);
    p->set_order_id(order_id);
    p->mutable_amount()->set_amount(2599);
    p->mutable_amount()->set_currency("USD");
  };
  if (captured) {
    set(e.mutable_payment_captured());
  } else {
    set(e.mutable_payment_authorized());
  }
  return e;
}

TEST_F(CheckoutStoreTest, PaymentEventsAreRecordedAgainstTheirOrderOnly) {
  OrderRecord order = NewOrder("eve", NewUuid());
  ASSERT_TRUE(store_->CreateOrder(order, "o", absl::Seconds(30)).ok());
  const auto record = [&](const events::v1::Envelope& e) {
    return pool_->Transact([&](pqxx::work& tx) { return RecordPaymentEvent(e, tx); });
  };
  const events::v1::Envelope authorized = PaymentEvent(order.order.id(), false);
  ASSERT_TRUE(record(authorized).ok());
  ASSERT_TRUE(record(authorized).ok());  // the same event again: still one row
  ASSERT_TRUE(record(PaymentEvent(order.order.id(), true)).ok());
  // Skipped, not failed: an order of another database, an order id that is no UUID, an
  // event that is not about a payment.
  EXPECT_TRUE(record(PaymentEvent(NewUuid(), false)).ok());
  EXPECT_TRUE(record(PaymentEvent("not-a-uuid", false)).ok());
  events::v1::Envelope other = events::NewEvent("catalog");
  other.mutable_stock_changed()->set_product_id(NewUuid());
  EXPECT_TRUE(record(other).ok());
  EXPECT_EQ(Sql("SELECT string_agg(kind || ':' || amount || ':' || payment_id, ',' ORDER BY "
                "occurred_at, kind) FROM order_payment_events WHERE order_id = '" +
                order.order.id() + "'"),
            "authorized:2599:pay-" + order.order.id() + ",captured:2599:pay-" + order.order.id());
  EXPECT_EQ(Sql("SELECT count(*) FROM order_payment_events"), "2");
}

}  // namespace
}  // namespace mercato::checkout
