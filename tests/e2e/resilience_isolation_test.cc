// Issue #8, test 2: fault isolation. The whole shop runs under a mixed load of browsing, cart
// and checkout; then the payment process is stopped (SIGSTOP: it holds its connections and
// answers nothing, the harder case than a refused connection). Browsing and cart requests
// see no error at all; checkouts get 503 within their deadlines (never a hang), and fail fast
// once checkout's payment breaker is open. Payment is then restarted: orders it left pending
// are settled and no stock stays reserved.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "resilience_support.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace resilience;

constexpr char kPrefix[] = "resilience_isolation";
constexpr int kRpcTimeoutMs = 1000;  // checkout's deadline per payment call

class IsolationE2eTest : public ShopTest<IsolationE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"checkout",
                     {{"MERCATO_RPC_TIMEOUT_MS", std::to_string(kRpcTimeoutMs)},
                      {"MERCATO_CHECKOUT_LEASE_MS", "5000"},
                      {"MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS", "1000"},
                      {"MERCATO_CHECKOUT_PAYMENT_GRACE_MS", "1000"}}}},
            .database_prefix = kPrefix};
  }

 protected:
};

struct Tally {
  std::mutex mu;
  int requests = 0;
  std::vector<std::string> errors;
  void Record(const std::string& what, const HttpResult& r) {
    std::lock_guard<std::mutex> lock(mu);
    ++requests;
    if (r.status != 200) {
      errors.push_back(absl::StrCat(what, " -> ", r.status, " ", r.body.substr(0, 200)));
    }
  }
};

struct CheckoutOutcome {
  int status;
  std::string code;
  double ms;
  bool after_stop;
};

TEST_F(IsolationE2eTest, PaymentStoppedUnderLoadBrowseAndCartSeeNoErrorsCheckoutsFailFast) {
  CatalogAdmin admin(suite_->address("catalog"));
  std::vector<std::string> products;
  for (int i = 0; i < 4; ++i) {
    products.push_back(admin.CreateProduct(absl::StrCat("Isolation pan ", i), 1000 + i, 100000));
  }

  std::atomic<bool> stop{false};
  std::atomic<bool> payment_stopped{false};
  Tally browse, cart;
  std::mutex outcomes_mu;
  std::vector<CheckoutOutcome> outcomes;
  std::vector<std::thread> workers;

  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        const std::string& id = products[(i + w) % products.size()];
        browse.Record("list", Call(port(), "GET", "/api/v1/products?page_size=10", "", {}));
        browse.Record("product", Call(port(), "GET", "/api/v1/products/" + id, "", {}));
        browse.Record("categories", Call(port(), "GET", "/api/v1/categories", "", {}));
      }
    });
  }
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      Shopper shopper;
      for (int i = 0; !stop; ++i) {
        const std::string& id = products[(i + w) % products.size()];
        cart.Record("add", AddToCart(port(), shopper, id, 1));
        cart.Record("get", Call(port(), "GET", "/api/v1/cart", "", shopper.Auth()));
        cart.Record("remove",
                    Call(port(), "DELETE", "/api/v1/cart/items/" + id, "", shopper.Auth()));
      }
    });
  }
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        Shopper shopper;
        cart.Record("add", AddToCart(port(), shopper, products[(i + w) % products.size()], 1));
        const bool after_stop = payment_stopped;
        const auto start = SteadyClock::now();
        HttpResult r = Checkout(port(), shopper, NewUuid(), CheckoutBody());
        CheckoutOutcome o{r.status, ErrorCode(r), MillisSince(start), after_stop};
        std::lock_guard<std::mutex> lock(outcomes_mu);
        outcomes.push_back(o);
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::seconds(3));
  suite_->process("payment").Signal(SIGSTOP);
  payment_stopped = true;
  const auto stopped_at = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::seconds(16));
  stop = true;
  for (auto& t : workers) t.join();
  const double stopped_for_ms = MillisSince(stopped_at);

  // Browsing and cart: not one error, before or after payment stopped.
  EXPECT_GT(browse.requests, 100);
  EXPECT_GT(cart.requests, 100);
  EXPECT_TRUE(browse.errors.empty())
      << browse.errors.size() << " errors, first: " << browse.errors.front();
  EXPECT_TRUE(cart.errors.empty())
      << cart.errors.size() << " errors, first: " << cart.errors.front();

  // Checkouts: paid before; 503 after, each within its deadlines (an Authorize and a
  // GetPayment of kRpcTimeoutMs each at most), fast once the breaker is open.
  int paid_before = 0, pending_503 = 0, fast_503 = 0, interrupted = 0, other = 0;
  double slowest = 0;
  std::vector<double> fast_ms;
  for (const auto& o : outcomes) {
    slowest = std::max(slowest, o.ms);
    if (!o.after_stop) {
      if (o.status == 201) ++paid_before;
      continue;
    }
    if (o.status == 503 && o.code == "service_unavailable") {
      ++fast_503;
      fast_ms.push_back(o.ms);
    } else if (o.status == 503 && o.code == "order_pending") {
      ++pending_503;
    } else if (o.status == 409 && o.code == "checkout_interrupted") {
      // Nothing charged, stock released: a clean failure (a catalog call that outlived its
      // deadline while eight clients share two cores with the shop).
      ++interrupted;
    } else if (o.status != 201) {  // 201: an order that got its payment just before the stop
      ++other;
      ADD_FAILURE() << "checkout after the stop: " << o.status << " " << o.code;
    }
    EXPECT_LT(o.ms, 2 * kRpcTimeoutMs + 1500) << "a checkout hung past its deadlines";
  }
  std::printf(
      "isolation: browse %d, cart %d requests, 0 errors; checkouts: %d paid before the stop, "
      "%d x 503 order_pending (deadline-bound), %d x 503 service_unavailable (breaker open, p50 "
      "%.1f ms, p99 %.1f ms), %d x 409 checkout_interrupted, slowest %.0f ms; payment stopped "
      "for %.0f ms\n",
      browse.requests, cart.requests, paid_before, pending_503, fast_503, Percentile(fast_ms, 0.5),
      Percentile(fast_ms, 0.99), interrupted, slowest, stopped_for_ms);
  EXPECT_GT(paid_before, 0);
  EXPECT_EQ(other, 0);
  EXPECT_GT(pending_503 + fast_503, 0);
  EXPECT_GT(fast_503, 0) << "the payment breaker never opened";
  // Fast: none waited for a deadline (the latency figures are printed above and recorded in
  // docs/resilience.md; a test asserts the outcome, not the machine's speed).
  if (!fast_ms.empty()) EXPECT_LT(Percentile(fast_ms, 0.99), kFailFastBoundMs);
  EXPECT_GE(MetricValue(suite_->admin_port("checkout"),
                        "mercato_circuit_breaker_opened_total{backend=\"payment\"}"),
            1);
  // The gateway's breaker in front of checkout did not open: checkout answered every time.
  EXPECT_EQ(MetricValue(suite_->admin_port("gateway"),
                        "mercato_circuit_breaker_state{backend=\"checkout\"}"),
            0);

  // Payment comes back: everything it left pending is settled, nothing stays reserved.
  suite_->Kill("payment");
  ASSERT_TRUE(suite_->StartService("payment").ok());
  const auto deadline = SteadyClock::now() + std::chrono::seconds(40);
  auto unsettled = [&] {
    return db().Count("checkout",
                      "SELECT count(*) FROM orders WHERE step NOT IN ('paid','failed')") +
           db().Count("catalog", "SELECT count(*) FROM reservations WHERE state = 'held'");
  };
  while (SteadyClock::now() < deadline && unsettled() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(unsettled(), 0);
  // And checkouts succeed again.
  bool paid_again = false;
  for (int i = 0; i < 100 && !paid_again; ++i) {
    Shopper shopper;
    ASSERT_EQ(AddToCart(port(), shopper, products[0], 1).status, 200);
    paid_again = Checkout(port(), shopper, NewUuid(), CheckoutBody()).status == 201;
    if (!paid_again) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(paid_again);
}

}  // namespace
}  // namespace mercato::testing
