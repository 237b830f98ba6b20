// Issue 15, defect 12: the same cart could be bought several times at once: five concurrent
// checkouts of one cart with different Idempotency-Keys (two tabs, a double click) gave five
// paid orders. A cart's contents (one cart revision) are now ordered once. Black-box through
// the real gateway with every service behind it: five checkouts at once give one order and
// one charge, the others 409 with the reason.
#include <signal.h>

#include <atomic>
#include <thread>

#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using std::chrono::milliseconds;

constexpr char kPrefix[] = "cart_once_e2e";
constexpr int kTabs = 5;

class CartCheckoutOnceTest : public ShopTest<CartCheckoutOnceTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .env = LongDeadlines(), .database_prefix = kPrefix};
  }

 protected:
  // kTabs checkouts of the shopper's cart at once, each with its own key; `while_running`
  // runs once they are all sent.
  static std::vector<HttpResult> CheckOutInTabs(
      const Shopper& s, const std::function<void(std::atomic<int>&)>& while_running = nullptr) {
    std::vector<HttpResult> answers(kTabs);
    std::atomic<int> answered{0};
    std::vector<std::thread> tabs;
    for (int i = 0; i < kTabs; ++i) {
      tabs.emplace_back([&, i] {
        answers[i] = Checkout(port(), s, NewUuid(), CheckoutBody());
        ++answered;
      });
    }
    if (while_running) while_running(answered);
    for (auto& t : tabs) t.join();
    return answers;
  }
};

TEST_F(CartCheckoutOnceTest, FiveTabsCheckingOutOneCartMakeOneOrderTheOthers409InProgress) {
  const std::string product = admin_->CreateProduct("Once", 2500, 100);
  Shopper s;
  ASSERT_EQ(AddToCart(port(), s, product, 2).status, 200);

  // The first order to be recorded waits in Authorize; the other four meet it pending.
  WarmUpCheckout(port(), admin_->CreateProduct("Warm-up", 100, 5));
  suite_->process("payment").Signal(SIGSTOP);
  auto answers = CheckOutInTabs(s, [&](std::atomic<int>& answered) {
    for (int i = 0; i < 600 && answered < kTabs - 1; ++i) {
      std::this_thread::sleep_for(milliseconds(25));
    }
    suite_->process("payment").Signal(SIGCONT);
  });
  int paid = 0, in_progress = 0;
  std::string order_id;
  for (const auto& r : answers) {
    if (r.status == 201) {
      ++paid;
      order_id = r.json["id"];
    } else {
      EXPECT_EQ(r.status, 409) << r.body;
      EXPECT_EQ(ErrorCode(r), "cart_checkout_in_progress") << r.body;
      EXPECT_EQ(r.Header("retry-after"), "1");
      ++in_progress;
    }
  }
  EXPECT_EQ(paid, 1);
  EXPECT_EQ(in_progress, kTabs - 1);
  EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id + "'"),
            1);
  // One authorization for the shopper's cart, captured for the one order.
  EXPECT_EQ(db().Payment("SELECT string_agg(state, ',') FROM payments WHERE order_id = '" +
                         order_id + "'"),
            "captured");
  EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id +
                                       "' AND payment_id <> ''"),
            1);
  EXPECT_EQ(db().Stock(product), 98);
  HttpResult cart = Call(port(), "GET", "/api/v1/cart", "", s.Auth());
  EXPECT_TRUE(cart.json["items"].empty()) << cart.body;
}

TEST_F(CartCheckoutOnceTest, FiveTabsAtFullSpeedNeverMakeASecondOrderOrCharge) {
  const std::string product = admin_->CreateProduct("Once more", 1500, 100);
  for (int round = 0; round < 3; ++round) {
    Shopper s;
    ASSERT_EQ(AddToCart(port(), s, product, 1).status, 200);
    auto answers = CheckOutInTabs(s);
    int paid = 0;
    for (const auto& r : answers) {
      if (r.status == 201) {
        ++paid;
        continue;
      }
      // Met the first order pending or paid, or read the cart after it was emptied.
      const std::string code = ErrorCode(r);
      EXPECT_TRUE((r.status == 409 &&
                   (code == "cart_checkout_in_progress" || code == "cart_already_ordered")) ||
                  (r.status == 400 && code == "cart_empty"))
          << r.status << " " << r.body;
    }
    EXPECT_EQ(paid, 1) << "round " << round;
    EXPECT_EQ(db().Count("checkout", "SELECT count(*) FROM orders WHERE user_id = '" + s.id +
                                         "' AND status <> 'failed'"),
              1);
  }
  EXPECT_EQ(db().Stock(product), 97);
  EXPECT_EQ(db().Count("payment", "SELECT count(*) FROM payments WHERE state = 'captured'"),
            db().Count("checkout", "SELECT count(*) FROM orders WHERE status = 'paid'"));
}

}  // namespace
}  // namespace mercato::testing
