// Black-box crash tests of the checkout saga, with every service behind the gateway:
//   - recovery at every point a crash can leave an order (state made as a crash leaves it:
//     the other services' side effects through their own APIs, then the order row as the
//     dead process wrote it), driven to PAID or FAILED by the restarted recovery loop;
//   - kill -9 of the checkout service, then of the payment service, five times each at random
//     moments while shoppers check out; afterwards every order is terminal, captured payments
//     are exactly the paid orders, and stock + quantity sold = initial stock;
//   - a reservation that expires while its order is stuck (the payment service hangs)
//     returns its stock, and the order then fails with nothing charged.
#include <signal.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "mercato/payment/v1/payment.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "support/identity.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using std::chrono::milliseconds;

// What a restarted checkout must find: pending orders whose lease has run out.
constexpr char kCrashPrefix[] = "checkout_crash";
constexpr char kExpiryPrefix[] = "checkout_expiry";

// A call as checkout makes it (its service token), with a 10 s deadline.
std::unique_ptr<grpc::ClientContext> AsCheckout(const std::string& callee) {
  return CallAs("checkout", callee);
}

// Waits until `sql` (a count) on `database` is 0; false on timeout.
bool WaitForZero(const Databases& db, const std::string& database, const std::string& sql,
                 milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (db.Count(database, sql) == 0) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

class CheckoutCrashTest : public ShopTest<CheckoutCrashTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"checkout",
                     {{"MERCATO_CHECKOUT_LEASE_MS", "4000"},
                      {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "300"},
                      {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "2000"}}},
                    {"catalog", {{"MERCATO_RESERVATION_SWEEP_MS", "200"}}},
                    // An authorization that lands after its order failed
                    // (a kill between the steps) is voided soon.
                    {"payment", {{"MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S", "10"}}}},
            .database_prefix = kCrashPrefix};
  }
  static void SetUpTestSuite() {
    ShopTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    payment_ = NewStub<payment::v1::PaymentService>(suite_->address("payment"));
    catalog_ = NewStub<catalog::v1::CatalogService>(suite_->address("catalog"));
  }
  static void TearDownTestSuite() {
    catalog_.reset();
    payment_.reset();
    ShopTest::TearDownTestSuite();
  }

 protected:
  static inline std::unique_ptr<payment::v1::PaymentService::Stub> payment_;
  static inline std::unique_ptr<catalog::v1::CatalogService::Stub> catalog_;
};

// ---- recovery at each crash point ----

enum class PaymentThen { kNone, kDeclined, kAuthorized, kCaptured };

struct CrashPoint {
  const char* name;
  // The step the dead process had recorded.
  const char* step;
  PaymentThen payment;
  // The reservation was released (or expired) before recovery came.
  bool reservation_closed;
  // What recovery must make of it.
  const char* status;
  const char* failure_code;
  const char* payment_after;  // "" for no payment
  const char* reservation_after;
};

TEST_F(CheckoutCrashTest, RecoveryDrivesEveryCrashPointToATerminalState) {
  const std::vector<CrashPoint> points = {
      {"after reserving, before recording it", "priced", PaymentThen::kNone, false, "failed",
       "checkout_interrupted", "", "released"},
      {"after recording the reservation", "reserved", PaymentThen::kNone, false, "failed",
       "checkout_interrupted", "", "released"},
      {"after a decline, before releasing", "reserved", PaymentThen::kDeclined, false, "failed",
       "payment_declined", "declined", "released"},
      {"after authorizing, before recording it", "reserved", PaymentThen::kAuthorized, false,
       "failed", "checkout_interrupted", "voided", "released"},
      {"after recording the authorization", "authorized", PaymentThen::kAuthorized, false, "failed",
       "checkout_interrupted", "voided", "released"},
      {"after capturing, before recording it", "authorized", PaymentThen::kCaptured, false, "paid",
       "", "captured", "committed"},
      {"after capturing, before recording the authorization", "reserved", PaymentThen::kCaptured,
       false, "paid", "", "captured", "committed"},
      {"after recording the capture", "captured", PaymentThen::kCaptured, false, "paid", "",
       "captured", "committed"},
      {"after the capture, reservation expired meanwhile", "captured", PaymentThen::kCaptured, true,
       "failed", "reservation_expired", "refunded", "released"},
  };
  const std::string product = admin_->CreateProduct("Crash point", 1000, 100);
  struct Made {
    const CrashPoint* point;
    std::string order_id;
  };
  std::vector<Made> made;
  int sold = 0;
  for (const CrashPoint& p : points) {
    const std::string order_id = NewUuid();
    // The other services' side effects, as the dead process had made them.
    catalog::v1::ReserveStockRequest reserve;
    reserve.set_reservation_id(order_id);
    reserve.set_ttl_seconds(600);
    auto* item = reserve.add_items();
    item->set_product_id(product);
    item->set_quantity(2);
    catalog::v1::Reservation reservation;
    ASSERT_TRUE(catalog_->ReserveStock(AsCheckout("catalog").get(), reserve, &reservation).ok())
        << p.name;
    std::string payment_id;
    if (p.payment != PaymentThen::kNone) {
      payment::v1::AuthorizeRequest authorize;
      authorize.set_idempotency_key("checkout-order:" + order_id);
      authorize.mutable_amount()->set_amount(2160);  // 2000 + 0 shipping + 160 tax
      authorize.mutable_amount()->set_currency("USD");
      authorize.mutable_card()->set_number(p.payment == PaymentThen::kDeclined ? kDeclinedCard
                                                                               : kGoodCard);
      authorize.mutable_card()->set_exp_month(12);
      authorize.mutable_card()->set_exp_year(2030);
      authorize.mutable_card()->set_cvc("123");
      authorize.set_order_id(order_id);
      payment::v1::Payment payment;
      ASSERT_TRUE(payment_->Authorize(AsCheckout("payment").get(), authorize, &payment).ok())
          << p.name;
      payment_id = payment.id();
      if (p.payment == PaymentThen::kCaptured) {
        payment::v1::CaptureRequest capture;
        capture.set_payment_id(payment_id);
        ASSERT_TRUE(payment_->Capture(AsCheckout("payment").get(), capture, &payment).ok())
            << p.name;
      }
    }
    if (p.reservation_closed) {
      catalog::v1::ReleaseReservationRequest release;
      release.set_reservation_id(order_id);
      ASSERT_TRUE(
          catalog_->ReleaseReservation(AsCheckout("catalog").get(), release, &reservation).ok());
    }
    // The order row as the dead process left it: pending, lease run out, last step a while ago.
    const bool recorded_payment =
        std::string(p.step) == "authorized" || std::string(p.step) == "captured";
    db().Checkout(
        "BEGIN; INSERT INTO orders (id, user_id, idempotency_key, request_fingerprint, status, "
        "step, item_count, currency, subtotal, shipping, tax, total, ship_name, ship_line1, "
        "ship_city, ship_country, payment_id, card_brand, card_last4, lease_owner, lease_until, "
        "updated_at) VALUES ('" +
        order_id + "', '" + NewUuid() + "', 'crash-" + order_id + "', 'fp', 'pending', '" + p.step +
        "', 1, 'USD', 2000, 0, 160, 2160, 'Ann', '1 Main St', 'Berlin', 'DE', '" +
        (recorded_payment ? payment_id : "") + "', '" + (recorded_payment ? "visa" : "") + "', '" +
        (recorded_payment ? "4242" : "") +
        "', 'dead-process', now() - interval '1 second', now() - interval '1 minute'); "
        "INSERT INTO order_items VALUES ('" +
        order_id + "', 0, '" + product + "', 'Crash point', 2, 1000, 2000); COMMIT;");
    made.push_back({&p, order_id});
    if (std::string(p.status) == "paid") sold += 2;
  }

  std::string ids;
  for (const auto& m : made) ids += (ids.empty() ? "'" : ",'") + m.order_id + "'";
  ASSERT_TRUE(
      WaitForZero(db(), "checkout",
                  "SELECT count(*) FROM orders WHERE status = 'pending' AND id IN (" + ids + ")",
                  std::chrono::seconds(30)));
  for (const auto& m : made) {
    const CrashPoint& p = *m.point;
    EXPECT_EQ(db().Checkout("SELECT status || '|' || failure_code FROM orders WHERE id = '" +
                            m.order_id + "'"),
              absl::StrCat(p.status, "|", p.failure_code))
        << p.name;
    EXPECT_EQ(db().Payment("SELECT coalesce(string_agg(state, ','), '') FROM payments WHERE "
                           "order_id = '" +
                           m.order_id + "'"),
              p.payment_after)
        << p.name;
    EXPECT_EQ(db().Catalog("SELECT state FROM reservations WHERE id = '" + m.order_id + "'"),
              p.reservation_after)
        << p.name;
    if (std::string(p.status) == "paid") {
      // The payment the order points at is the captured one.
      EXPECT_EQ(db().Checkout("SELECT payment_id FROM orders WHERE id = '" + m.order_id + "'"),
                db().Payment("SELECT id FROM payments WHERE order_id = '" + m.order_id + "'"))
          << p.name;
    }
  }
  EXPECT_EQ(db().Stock(product), 100 - sold);
  EXPECT_GE(MetricValue(suite_->admin_port("checkout"),
                        R"(mercato_checkout_recovered_orders_total{outcome="paid"})"),
            3);
  EXPECT_GE(MetricValue(suite_->admin_port("checkout"),
                        R"(mercato_checkout_recovered_orders_total{outcome="failed"})"),
            6);
}

// ---- kill -9 under load ----

struct Tally {
  std::atomic<int> paid{0};
  std::atomic<int> declined{0};
  std::atomic<int> out_of_stock{0};
  std::atomic<int> other{0};
};

// One shopper checking out again and again: empty the cart, add one or two products, check
// out with a fresh key (one in five with a declined card); an answer that is not final (503,
// 504, 409 in_progress, a dropped connection) is retried with the same key a few times.
void Shop(int port, const std::vector<std::string>& products, std::atomic<bool>& stop, Tally& tally,
          unsigned seed) {
  std::mt19937 rng(seed);
  Shopper s;
  while (!stop) {
    Call(port, "DELETE", "/api/v1/cart", "", s.Auth());
    const int lines = 1 + static_cast<int>(rng() % 2);
    for (int i = 0; i < lines; ++i) {
      AddToCart(port, s, products[rng() % products.size()], 1 + static_cast<int>(rng() % 3));
    }
    const std::string key = NewUuid();
    const json body = CheckoutBody(rng() % 5 == 0 ? kDeclinedCard : kGoodCard);
    for (int attempt = 0; attempt < 4 && !stop; ++attempt) {
      HttpResult r = Checkout(port, s, key, body);
      const std::string code = ErrorCode(r);
      if (r.status == 201) {
        ++tally.paid;
        break;
      }
      if (r.status == 402) {
        ++tally.declined;
        break;
      }
      if (code == "out_of_stock" || code == "cart_empty") {
        ++tally.out_of_stock;
        break;
      }
      ++tally.other;
      if (r.status == 400 || r.status == 422) break;
      std::this_thread::sleep_for(milliseconds(150));
    }
  }
}

TEST_F(CheckoutCrashTest, KillNineDuringCheckoutsLosesNothingAndChargesNothingTwice) {
  constexpr int64_t kInitialStock = 1500;
  std::vector<std::string> products;
  for (int i = 0; i < 4; ++i) {
    products.push_back(admin_->CreateProduct("Crash stock", 1000 + 500 * i, kInitialStock));
  }
  std::atomic<bool> stop{false};
  Tally tally;
  std::vector<std::thread> shoppers;
  for (int i = 0; i < 6; ++i) {
    shoppers.emplace_back([&, i] { Shop(port(), products, stop, tally, 1000 + i); });
  }
  std::mt19937 rng(42);
  int kills = 0;
  for (const std::string service : {"checkout", "payment"}) {
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(milliseconds(400 + rng() % 1200));
      suite_->Kill(service);
      ++kills;
      std::this_thread::sleep_for(milliseconds(rng() % 300));
      ASSERT_TRUE(suite_->StartService(service).ok()) << service;
    }
  }
  std::this_thread::sleep_for(milliseconds(1000));
  stop = true;
  for (auto& t : shoppers) t.join();
  std::cout << "crash test: " << kills << " kills; answers: paid " << tally.paid << ", declined "
            << tally.declined << ", out of stock " << tally.out_of_stock << ", other "
            << tally.other << std::endl;

  // Recovery finishes what the kills left (leases of 4 s, payment grace of 2 s).
  ASSERT_TRUE(WaitForZero(db(), "checkout", "SELECT count(*) FROM orders WHERE status = 'pending'",
                          std::chrono::seconds(90)))
      << db().Checkout(
             "SELECT string_agg(id || ':' || step, ', ') FROM orders WHERE status = "
             "'pending'");

  const int64_t paid = db().Count("checkout", "SELECT count(*) FROM orders WHERE status = 'paid'");
  EXPECT_GT(paid, 0);
  EXPECT_EQ(db().Count("checkout",
                       "SELECT count(*) FROM orders WHERE status NOT IN ('paid', "
                       "'failed')"),
            0);
  // Captured payments are exactly the paid orders, each for the order's total; every other
  // payment was declined, voided or refunded; no order has two payments.
  EXPECT_EQ(db().Payment("SELECT coalesce(string_agg(order_id || ':' || amount, ',' ORDER BY "
                         "order_id), '') FROM payments WHERE state = 'captured'"),
            db().Checkout("SELECT coalesce(string_agg(id || ':' || total, ',' ORDER BY id::text), "
                          "'') FROM orders WHERE status = 'paid'"));
  EXPECT_EQ(db().Checkout("SELECT coalesce(string_agg(payment_id, ',' ORDER BY payment_id), '') "
                          "FROM orders WHERE status = 'paid'"),
            db().Payment("SELECT coalesce(string_agg(id::text, ',' ORDER BY id::text), '') FROM "
                         "payments WHERE state = 'captured'"));
  // Nothing is left authorized or pending (the payment service's sweeper voids, within its
  // 10 s, what a kill left behind where checkout could not see it).
  EXPECT_TRUE(WaitForZero(db(), "payment",
                          "SELECT count(*) FROM payments WHERE state IN ('authorized', 'pending')",
                          std::chrono::seconds(30)));
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM sandbox_authorizations WHERE state = 'authorized'"),
            0);
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM (SELECT order_id FROM payments GROUP BY "
                       "order_id HAVING count(*) > 1) AS twice"),
            0);
  // Committed reservations are the paid orders; none is still held.
  EXPECT_EQ(db().Catalog("SELECT coalesce(string_agg(id, ',' ORDER BY id), '') FROM reservations "
                         "WHERE state = 'committed'"),
            db().Checkout("SELECT coalesce(string_agg(id::text, ',' ORDER BY id::text), '') FROM "
                          "orders WHERE status = 'paid'"));
  EXPECT_EQ(db().Count("catalog", "SELECT count(*) FROM reservations WHERE state = 'held'"), 0);
  // Stock + quantity sold = initial stock, for every product.
  for (const auto& product : products) {
    const int64_t sold =
        db().Count("checkout",
                   "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON "
                   "o.id = i.order_id WHERE o.status = 'paid' AND i.product_id = '" +
                       product + "'");
    EXPECT_EQ(db().Stock(product) + sold, kInitialStock) << product;
  }
  // The kills did interrupt orders, and recovery finished them.
  EXPECT_GT(db().Count("checkout", "SELECT count(*) FROM orders WHERE recovery_attempts > 0"), 0);
  std::cout << "crash test: " << paid << " paid orders, "
            << db().Count("checkout", "SELECT count(*) FROM orders WHERE status = 'failed'")
            << " failed, "
            << db().Count("checkout", "SELECT count(*) FROM orders WHERE recovery_attempts > 0")
            << " finished by recovery" << std::endl;
}

// ---- reservation expiry ----

class CheckoutExpiryTest : public ShopTest<CheckoutExpiryTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"checkout",
                     {{"MERCATO_RPC_TIMEOUT_MS", "1000"},
                      {"MERCATO_CHECKOUT_LEASE_MS", "2000"},
                      {"MERCATO_CHECKOUT_RESERVATION_TTL_S", "3"},
                      {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "200"},
                      {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "1000"}}},
                    {"catalog", {{"MERCATO_RESERVATION_SWEEP_MS", "100"}}}},
            .database_prefix = kExpiryPrefix};
  }
};

TEST_F(CheckoutExpiryTest, ExpiredReservationOfAStuckOrderReturnsItsStock) {
  CatalogAdmin admin(suite_->address("catalog"));
  const std::string product = admin.CreateProduct("Expiring", 1200, 5);
  const int port = suite_->port("gateway");
  Shopper s;
  ASSERT_EQ(AddToCart(port, s, product, 2).status, 200);
  // One order first, so that checkout is connected to payment: a call on a connection that
  // was never made is certainly not sent, and its stock would go back at once.
  Shopper warm_up;
  ASSERT_EQ(AddToCart(port, warm_up, admin.CreateProduct("Warm-up", 100, 1), 1).status, 200);
  ASSERT_EQ(Checkout(port, warm_up, NewUuid(), CheckoutBody()).status, 201);

  // The payment service hangs: the order is stuck after reserving its stock.
  suite_->process("payment").Signal(SIGSTOP);
  const std::string key = NewUuid();
  HttpResult answer;
  std::thread buyer([&] { answer = Checkout(port, s, key, CheckoutBody()); });
  bool saw_reserved = false;
  for (int i = 0; i < 100 && !saw_reserved; ++i) {
    saw_reserved = db().Stock(product) == 3;
    if (!saw_reserved) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(saw_reserved);
  buyer.join();
  EXPECT_EQ(answer.status, 503) << answer.body;
  EXPECT_EQ(ErrorCode(answer), "order_pending");
  const std::string order_id =
      db().Checkout("SELECT id FROM orders WHERE user_id = '" + s.id + "'");

  // The reservation runs out (3 s) and the catalog takes the stock back, order still stuck.
  ASSERT_TRUE(WaitForZero(
      db(), "catalog",
      "SELECT count(*) FROM reservations WHERE state = 'held' AND id = '" + order_id + "'",
      std::chrono::seconds(15)));
  EXPECT_EQ(db().Catalog("SELECT state FROM reservations WHERE id = '" + order_id + "'"),
            "expired");
  EXPECT_EQ(db().Stock(product), 5);
  EXPECT_EQ(db().Checkout("SELECT status FROM orders WHERE id = '" + order_id + "'"), "pending");
  HttpResult while_stuck = Checkout(port, s, key, CheckoutBody());
  EXPECT_EQ(while_stuck.status, 409) << while_stuck.body;
  EXPECT_EQ(ErrorCode(while_stuck), "in_progress");

  // The payment service comes back (a new process: the calls the stopped one had buffered
  // die with it). Recovery finds no payment and fails the order; nothing was charged.
  suite_->Kill("payment");
  ASSERT_TRUE(suite_->StartService("payment").ok());
  ASSERT_TRUE(WaitForZero(db(), "checkout", "SELECT count(*) FROM orders WHERE status = 'pending'",
                          std::chrono::seconds(20)));
  EXPECT_EQ(db().Checkout("SELECT status || '|' || failure_code FROM orders WHERE id = '" +
                          order_id + "'"),
            "failed|checkout_interrupted");
  EXPECT_EQ(
      db().Count("payment", "SELECT count(*) FROM payments WHERE order_id = '" + order_id + "'"),
      0);
  EXPECT_EQ(db().Stock(product), 5);
  HttpResult replay = Checkout(port, s, key, CheckoutBody());
  EXPECT_EQ(replay.status, 409) << replay.body;
  EXPECT_EQ(ErrorCode(replay), "checkout_interrupted");
  // A new attempt goes through.
  HttpResult retry = Checkout(port, s, NewUuid(), CheckoutBody());
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(db().Stock(product), 3);
}

}  // namespace
}  // namespace mercato::testing
