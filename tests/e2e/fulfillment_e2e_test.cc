// The fulfillment worker in the whole shop: a real checkout through the gateway is paid, the
// worker (consuming OrderPaid from the real broker) records FULFILLING, SHIPPED and DELIVERED
// with the real checkout, and GET /api/v1/orders/{id} shows the order delivered with a
// timeline that names the carrier and tracking number the worker chose. The worker's
// OrderShipped and OrderDelivered are on mercato.orders.v1, one event id each.
//
// Needs checkout's RecordFulfillment (branch checkout-lifecycle of issue 14) and the order
// timeline in the gateway's JSON (branch gateway-orders); passed on a merge of the three.
#include <set>
#include <thread>

#include "absl/strings/str_split.h"
#include "events/contracts.h"
#include "events/kafka.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using namespace std::chrono_literals;

class FulfillmentE2eTest : public ShopTest<FulfillmentE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway", "fulfillment"},
            .env = {{"fulfillment",
                     {{"MERCATO_FULFILLMENT_SHIP_DELAY_MS", "200"},
                      {"MERCATO_FULFILLMENT_DELIVERY_DELAY_MS", "200"},
                      {"MERCATO_FULFILLMENT_POLL_MS", "20"},
                      {"MERCATO_OUTBOX_POLL_INTERVAL_MS", "20"}}},
                    {"checkout", {{"MERCATO_OUTBOX_POLL_INTERVAL_MS", "20"}}}},
            .database_prefix = "fulfillment_e2e",
            .kafka = true};
  }
};

// Polls GET /api/v1/orders/{id} until its status is `want` (or 60 s pass); the last answer.
HttpResult AwaitOrderStatus(int port, const Shopper& shopper, const std::string& order_id,
                            const std::string& want) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  HttpResult r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = Call(port, "GET", "/api/v1/orders/" + order_id, "", shopper.Auth());
    if (r.status == 200 && r.json.value("status", "") == want) break;
    std::this_thread::sleep_for(100ms);
  }
  return r;
}

TEST_F(FulfillmentE2eTest, APaidOrderIsShippedAndDeliveredAndItsTimelineSaysSo) {
  const std::string product = admin_->CreateProduct("Shipped kettle", 3000, 5);
  Shopper shopper;
  ASSERT_EQ(AddToCart(port(), shopper, product, 1).status, 200);
  HttpResult paid = Checkout(port(), shopper, NewUuid(), CheckoutBody());
  ASSERT_EQ(paid.status, 201) << paid.body;
  const std::string order_id = paid.json["id"].get<std::string>();

  HttpResult order = AwaitOrderStatus(port(), shopper, order_id, "delivered");
  ASSERT_EQ(order.status, 200) << order.body;
  ASSERT_EQ(order.json.value("status", ""), "delivered") << order.body;

  const std::string row =
      db().Sql("fulfillment",
               "SELECT state || '|' || carrier || '|' || tracking_number FROM shipments "
               "WHERE order_id = '" +
                   order_id + "'");
  const std::vector<std::string> shipment = absl::StrSplit(row, '|');
  ASSERT_EQ(shipment.size(), 3u) << row;
  EXPECT_EQ(shipment[0], "delivered");
  std::vector<std::string> statuses;
  for (const json& entry : order.json["timeline"]) {
    statuses.push_back(entry.value("status", ""));
    if (entry.value("status", "") == "shipped") {
      EXPECT_EQ(entry.value("carrier", ""), shipment[1]) << order.body;
      EXPECT_EQ(entry.value("tracking_number", ""), shipment[2]) << order.body;
    }
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"paid", "fulfilling", "shipped", "delivered"}))
      << order.body;

  // The worker's relay publishes after its commits: poll the topic.
  std::set<std::string> shipped, delivered;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    shipped.clear();
    delivered.clear();
    auto records = events::ReadTopic(suite_->kafka_brokers(), events::kOrdersTopic);
    ASSERT_TRUE(records.ok()) << records.status();
    for (const events::IncomingRecord& r : *records) {
      if (r.key != order_id) continue;
      events::v1::Envelope e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      if (e.has_order_shipped()) shipped.insert(e.event_id());
      if (e.has_order_delivered()) delivered.insert(e.event_id());
    }
    if (!shipped.empty() && !delivered.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(shipped.size(), 1u);
  EXPECT_EQ(delivered.size(), 1u);
}

}  // namespace
}  // namespace mercato::testing
