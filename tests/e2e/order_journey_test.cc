// An order's life after payment across the whole shop: real binaries of every service, both
// workers (fulfillment, notification), the real broker and a real SMTP sink of the test's own.
//  - checkout -> OrderPaid -> shipment -> shipped -> delivered, exactly one email per step to
//    the shopper's address, and the timeline in GET /api/v1/orders/{id};
//  - a cancel before shipping: the payment refunded once, the stock back, never shipped, one
//    email for the cancellation;
//  - both workers stopped for a minute while shoppers check out: started again, they catch up,
//    every order shipped and delivered once, every email sent once.
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "support/shop_e2e.h"
#include "support/smtp_sink.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace std::chrono_literals;

// The sink outlives every suite of this binary (Options() is called more than once); a
// static owner stops it when the binary exits.
SmtpSink& Sink() {
  static std::unique_ptr<SmtpSink> sink = [] {
    auto started = SmtpSink::Start();
    if (!started.ok()) {
      ADD_FAILURE() << "SMTP sink: " << started.status();
      std::abort();
    }
    return std::move(*started);
  }();
  return *sink;
}

class OrderJourneyTest : public ShopTest<OrderJourneyTest> {
 public:
  // Long enough between paid and shipped for a shopper's cancel to come first, short enough
  // for the test to watch whole journeys.
  static constexpr int kShipDelayMs = 4000;
  static SuiteOptions Options() {
    const std::map<std::string, std::string> fast_outbox = {
        {"MERCATO_OUTBOX_POLL_INTERVAL_MS", "20"}};
    return {.services = {"gateway", "fulfillment", "notification"},
            .env = {{"fulfillment",
                     {{"MERCATO_FULFILLMENT_SHIP_DELAY_MS", std::to_string(kShipDelayMs)},
                      {"MERCATO_FULFILLMENT_DELIVERY_DELAY_MS", "1000"},
                      {"MERCATO_FULFILLMENT_POLL_MS", "50"},
                      {"MERCATO_OUTBOX_POLL_INTERVAL_MS", "20"}}},
                    {"notification",
                     {{"MERCATO_SMTP_URL", Sink().url()},
                      {"MERCATO_NOTIFICATION_SEND_INTERVAL_MS", "50"}}},
                    {"checkout", fast_outbox},
                    {"payment", fast_outbox}},
            .database_prefix = "journey",
            .kafka = true};
  }

 protected:
  // A registered shopper (notification looks the address up in the user service).
  struct Customer {
    Shopper shopper;
    std::string email;
  };
  static Customer Register() {
    Customer c;
    c.email = "shopper-" + NewUuid().substr(0, 12) + "@example.test";
    json body = {{"email", c.email}, {"password", "journey password 2026"}, {"name", "Ann Buyer"}};
    HttpResult r = Call(port(), "POST", "/api/v1/users", body.dump(), {});
    EXPECT_EQ(r.status, 201) << r.body;
    c.shopper.id = r.json.value("id", "");
    c.shopper.token = MintToken(c.shopper.id);
    return c;
  }

  static std::string PlaceOrder(const Customer& c, const std::string& product) {
    HttpResult added = AddToCart(port(), c.shopper, product, 1);
    EXPECT_EQ(added.status, 200) << added.body;
    HttpResult paid = Checkout(port(), c.shopper, NewUuid(), CheckoutBody());
    EXPECT_EQ(paid.status, 201) << paid.body;
    return paid.json.value("id", "");
  }

  static HttpResult GetOrder(const Customer& c, const std::string& order_id) {
    return Call(port(), "GET", "/api/v1/orders/" + order_id, "", c.shopper.Auth());
  }

  // Polls the order until its status is `want` (at most `limit`); the last answer.
  static HttpResult AwaitStatus(const Customer& c, const std::string& order_id,
                                const std::string& want, std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    HttpResult r = GetOrder(c, order_id);
    while (r.json.value("status", "") != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      r = GetOrder(c, order_id);
    }
    return r;
  }

  // The subjects of the emails sent to `email`, in the order received.
  static std::vector<std::string> SubjectsTo(const std::string& email) {
    std::vector<std::string> subjects;
    for (const ReceivedEmail& m : Sink().Messages()) {
      if (m.Header("to") == "<" + email + ">") subjects.push_back(m.Header("subject"));
    }
    return subjects;
  }

  // Waits until `email` got `count` emails (at most 60 s), then a little longer to see that
  // no more come; their subjects.
  static std::vector<std::string> AwaitMail(const std::string& email, size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (SubjectsTo(email).size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(500ms);
    return SubjectsTo(email);
  }

  static std::vector<std::string> Statuses(const json& order) {
    std::vector<std::string> statuses;
    for (const json& entry : order.value("timeline", json::array())) {
      statuses.push_back(entry.value("status", ""));
    }
    return statuses;
  }

  static std::string Ref(const std::string& order_id) { return order_id.substr(0, 8); }
};

TEST_F(OrderJourneyTest, PaidOrderIsShippedDeliveredAndMailedOncePerStep) {
  const std::string product = admin_->CreateProduct("Journey teapot", 2500, 10);
  Customer c = Register();
  const std::string order_id = PlaceOrder(c, product);
  ASSERT_FALSE(order_id.empty());

  HttpResult order = AwaitStatus(c, order_id, "delivered");
  ASSERT_EQ(order.json.value("status", ""), "delivered") << order.body;
  EXPECT_EQ(Statuses(order.json),
            (std::vector<std::string>{"paid", "fulfilling", "shipped", "delivered"}));
  const json shipped = order.json["timeline"][2];
  EXPECT_FALSE(shipped.value("carrier", "").empty()) << order.body;
  EXPECT_FALSE(shipped.value("tracking_number", "").empty()) << order.body;
  EXPECT_FALSE(order.json.value("cancellable", true));

  std::vector<std::string> subjects = AwaitMail(c.email, 3);
  ASSERT_EQ(subjects.size(), 3u);
  EXPECT_TRUE(absl::StrContains(subjects[0], Ref(order_id))) << subjects[0];
  EXPECT_TRUE(absl::EndsWith(subjects[0], "is confirmed")) << subjects[0];
  EXPECT_TRUE(absl::EndsWith(subjects[1], "is on its way")) << subjects[1];
  EXPECT_TRUE(absl::EndsWith(subjects[2], "was delivered")) << subjects[2];
  // The shipped email names the tracking number the API shows; no email carries card data.
  for (const ReceivedEmail& m : Sink().Messages()) {
    if (m.Header("to") != "<" + c.email + ">") continue;
    EXPECT_FALSE(absl::StrContains(m.raw, kGoodCard));
    if (absl::EndsWith(m.Header("subject"), "is on its way")) {
      ASSERT_NE(m.Part("text/plain"), nullptr);
      EXPECT_TRUE(
          absl::StrContains(m.Part("text/plain")->body, shipped.value("tracking_number", "?")));
    }
  }
}

TEST_F(OrderJourneyTest, CancelBeforeShippingRefundsOnceReturnsStockAndIsNeverShipped) {
  const std::string product = admin_->CreateProduct("Cancelled lamp", 4100, 3);
  Customer c = Register();
  const std::string order_id = PlaceOrder(c, product);
  ASSERT_FALSE(order_id.empty());
  EXPECT_EQ(db().Stock(product), 2);

  HttpResult cancel =
      Call(port(), "POST", "/api/v1/orders/" + order_id + "/cancel", "", c.shopper.Auth());
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  HttpResult order = AwaitStatus(c, order_id, "cancelled");
  ASSERT_EQ(order.json.value("status", ""), "cancelled") << order.body;
  EXPECT_EQ(order.json["refunded"], order.json["total"]) << order.body;
  EXPECT_EQ(db().Stock(product), 3);

  // A repeat changes nothing; past the carrier's delay the order is still not shipped.
  EXPECT_EQ(
      Call(port(), "POST", "/api/v1/orders/" + order_id + "/cancel", "", c.shopper.Auth()).status,
      200);
  std::this_thread::sleep_for(std::chrono::milliseconds(kShipDelayMs + 1500));
  order = GetOrder(c, order_id);
  EXPECT_EQ(order.json.value("status", ""), "cancelled");
  EXPECT_EQ(Statuses(order.json).back(), "cancelled");
  for (const std::string& s : Statuses(order.json)) EXPECT_NE(s, "shipped");
  EXPECT_EQ(db().Stock(product), 3);
  // The card was refunded exactly once, for the whole amount.
  EXPECT_EQ(db().Count("payment",
                       "SELECT count(*) FROM refunds r JOIN payments p ON "
                       "p.id = r.payment_id WHERE p.order_id = '" +
                           order_id + "'"),
            1);

  std::vector<std::string> subjects = AwaitMail(c.email, 2);
  ASSERT_EQ(subjects.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(subjects[0], "is confirmed")) << subjects[0];
  EXPECT_TRUE(absl::EndsWith(subjects[1], "is cancelled")) << subjects[1];
}

TEST_F(OrderJourneyTest, WorkersStoppedForAMinuteCatchUpWithoutLosingOrRepeating) {
  const std::string product = admin_->CreateProduct("Catch-up mug", 900, 100);
  EXPECT_EQ(suite_->Terminate("fulfillment"), 0);
  EXPECT_EQ(suite_->Terminate("notification"), 0);
  const auto stopped_at = std::chrono::steady_clock::now();
  std::vector<std::pair<Customer, std::string>> orders;
  while (std::chrono::steady_clock::now() - stopped_at < 60s) {
    Customer c = Register();
    orders.emplace_back(c, PlaceOrder(c, product));
    std::this_thread::sleep_for(5s);
  }
  ASSERT_GE(orders.size(), 10u);
  ASSERT_TRUE(suite_->StartService("fulfillment").ok());
  ASSERT_TRUE(suite_->StartService("notification").ok());

  for (const auto& [c, order_id] : orders) {
    HttpResult order = AwaitStatus(c, order_id, "delivered", 120s);
    EXPECT_EQ(Statuses(order.json),
              (std::vector<std::string>{"paid", "fulfilling", "shipped", "delivered"}))
        << order.body;
  }
  for (const auto& [c, order_id] : orders) {
    std::vector<std::string> subjects = AwaitMail(c.email, 3);
    ASSERT_EQ(subjects.size(), 3u) << order_id;
    EXPECT_TRUE(absl::EndsWith(subjects[0], "is confirmed")) << subjects[0];
    EXPECT_TRUE(absl::EndsWith(subjects[1], "is on its way")) << subjects[1];
    EXPECT_TRUE(absl::EndsWith(subjects[2], "was delivered")) << subjects[2];
  }
}

}  // namespace
}  // namespace mercato::testing
