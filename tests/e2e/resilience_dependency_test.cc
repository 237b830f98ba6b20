// Issue 19: a dependency that hangs or dies, with every setting at its default. The real
// shop; payment is first frozen (SIGSTOP: it keeps its connections and answers nothing, like
// a GC pause or a black-holed network), then killed (its port refuses connections, like a
// deleted pod).
// - Hung, at a shopper's pace: at most the first three checkouts wait for payment's 2 s
//   deadline; every later one is a 503 with Retry-After at once; browsing and the cart are
//   unaffected; once payment resumes, checkouts succeed within 10 s and every unit the hung
//   checkouts held is back within 60 s.
// - Dead: a checkout whose payment call certainly never reached payment gives its stock back
//   at once: 5 s after the failed attempts, no unit is held.
// Throughout, no order is paid twice and no paid order loses its stock.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <thread>

#include "resilience_support.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace resilience;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPrefix[] = "resilience_dependency";
constexpr int64_t kStock = 1000;

class DependencyE2eTest : public ShopTest<DependencyE2eTest> {
 public:
  static SuiteOptions Options() { return {.services = {"gateway"}, .database_prefix = kPrefix}; }

 protected:
  struct Attempt {
    HttpResult result;
    double ms;
  };
  // A checkout of one unit of `product` by a new shopper; only the checkout is timed.
  static Attempt Try(const std::string& product) {
    Shopper shopper;
    EXPECT_EQ(AddToCart(port(), shopper, product, 1).status, 200);
    const auto start = SteadyClock::now();
    HttpResult r = Checkout(port(), shopper, NewUuid(), CheckoutBody());
    return {std::move(r), MillisSince(start)};
  }
  static int64_t Held(const std::string& product) {
    return db().Count("catalog",
                      "SELECT coalesce(sum(quantity), 0) FROM reservation_items ri "
                      "JOIN reservations r ON r.id = ri.reservation_id "
                      "WHERE r.state = 'held' AND ri.product_id = '" +
                          product + "'");
  }
  // Checkouts until one is paid (201); false after `limit`.
  static bool PaidWithin(const std::string& product, std::chrono::seconds limit) {
    const auto deadline = SteadyClock::now() + limit;
    while (SteadyClock::now() < deadline) {
      if (Try(product).result.status == 201) return true;
      std::this_thread::sleep_for(milliseconds(250));
    }
    return false;
  }
  // Sold units and paid orders agree: no order paid twice, no paid order without its stock.
  static void ExpectPaidOrdersHoldTheirStock(const std::string& product) {
    const int64_t paid =
        db().Count("checkout",
                   "SELECT coalesce(sum(l.quantity), 0) FROM order_items l JOIN orders o ON "
                   "o.id = l.order_id WHERE o.step = 'paid' AND l.product_id = '" +
                       product + "'");
    EXPECT_EQ(db().Stock(product) + Held(product) + paid, kStock);
    EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments WHERE state = 'captured'"),
              db().Count("checkout", "SELECT count(*) FROM orders WHERE step = 'paid'"));
  }
};

TEST_F(DependencyE2eTest, HungPaymentCostsAtMostThreeShoppersTheDeadline) {
  CatalogAdmin admin(suite_->address("catalog"));
  const std::string product = admin.CreateProduct("Hung pan", 1500, kStock);
  ASSERT_EQ(Try(product).result.status, 201);  // connected to payment, healthy

  suite_->process("payment").Signal(SIGSTOP);
  // Resumed whatever happens, so that a failure here does not fail the next test.
  struct Resume {
    ~Resume() { suite_->process("payment").Signal(SIGCONT); }
  } resume_at_exit;
  std::vector<Attempt> waited;
  std::vector<double> fast_ms;
  // At a shopper's pace (one a second) until the breaker opens; then, for 2.5 s of its 5 s
  // sleep window, as many as come, to measure the fast path. (Recovery's own calls to payment
  // may have opened it up to one deadline before the first fast answer shows it; after the
  // window one trial checkout waits again, by design.)
  std::optional<SteadyClock::time_point> opened;
  while (!opened || SteadyClock::now() - *opened < milliseconds(2500)) {
    Attempt a = Try(product);
    ASSERT_EQ(a.result.status, 503) << a.result.body;
    const std::string code = ErrorCode(a.result);
    if (code == "service_unavailable") {
      EXPECT_FALSE(a.result.Header("retry-after").empty());
      fast_ms.push_back(a.ms);
      if (!opened) opened = SteadyClock::now();
    } else {
      EXPECT_EQ(code, "order_pending") << a.result.body;
      EXPECT_FALSE(opened) << "a checkout waited after the breaker had opened";
      waited.push_back(std::move(a));
    }
    ASSERT_LE(waited.size(), 3u) << "more than three checkouts waited for payment";
    std::this_thread::sleep_for(milliseconds(opened ? 20 : 1000));
  }
  for (const Attempt& a : waited) EXPECT_LT(a.ms, 2600) << "waited past payment's 2 s deadline";
  ASSERT_GE(fast_ms.size(), 50u);
  std::printf(
      "hung payment: %zu checkouts waited (%.0f ms at most), then %zu failed fast: "
      "p50 %.1f ms, p99 %.1f ms\n",
      waited.size(), waited.empty() ? 0.0 : waited.back().ms, fast_ms.size(),
      Percentile(fast_ms, 0.5), Percentile(fast_ms, 0.99));
  // The goal is p99 < 50 ms (15.8 ms measured alone on the 2-core machine, docs/resilience.md
  // "Deadlines and breakers"); the test asserts the outcome: none waited for a deadline.
  EXPECT_LT(Percentile(fast_ms, 0.99), kFailFastBoundMs);
  // Browsing and the cart do not need payment.
  EXPECT_EQ(Call(port(), "GET", "/api/v1/products?page_size=10", "", {}).status, 200);
  Shopper browsing;
  EXPECT_EQ(AddToCart(port(), browsing, product, 2).status, 200);
  EXPECT_EQ(Call(port(), "GET", "/api/v1/cart", "", browsing.Auth()).status, 200);

  suite_->process("payment").Signal(SIGCONT);
  const auto resumed = SteadyClock::now();
  EXPECT_TRUE(PaidWithin(product, seconds(10))) << "no checkout succeeded within 10 s";
  std::printf("paid again %.0f ms after payment resumed\n", MillisSince(resumed));
  while (Held(product) > 0 && SteadyClock::now() - resumed < seconds(60)) {
    std::this_thread::sleep_for(milliseconds(250));
  }
  EXPECT_EQ(Held(product), 0) << "units still held 60 s after payment resumed";
  std::printf("every held unit back %.0f ms after payment resumed\n", MillisSince(resumed));
  ExpectPaidOrdersHoldTheirStock(product);
}

TEST_F(DependencyE2eTest, DeadPaymentHoldsNoStock) {
  CatalogAdmin admin(suite_->address("catalog"));
  const std::string product = admin.CreateProduct("Dead pan", 1500, kStock);
  ASSERT_EQ(Try(product).result.status, 201);
  const int64_t stock = db().Stock(product);

  suite_->Kill("payment");
  std::this_thread::sleep_for(seconds(1));  // checkout's channel notices the closed connection
  for (int i = 0; i < 7; ++i) {
    Attempt a = Try(product);
    EXPECT_EQ(a.result.status, 503) << a.result.body;
    std::this_thread::sleep_for(milliseconds(300));
  }
  std::this_thread::sleep_for(seconds(5));
  EXPECT_EQ(Held(product), 0) << "a dead payment's failed checkouts still hold stock";
  EXPECT_EQ(db().Stock(product), stock);

  ASSERT_TRUE(suite_->StartService("payment").ok());
  EXPECT_TRUE(PaidWithin(product, seconds(10)));
  ExpectPaidOrdersHoldTheirStock(product);
}

}  // namespace
}  // namespace mercato::testing
