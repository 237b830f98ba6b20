// Black-box: the events of real orders, placed through the real gateway and services, on a
// real Kafka broker (support/kafka.h) — each event on its topic exactly once per event id, in
// order per key; the checkout's consumer records the payment events against the order once;
// the catalog's read model consumes its own events. Then the broker is stopped for 30 s while
// shoppers check out: checkouts still succeed (the outboxes hold the events), and once it is
// back every event is published and mercato_outbox_pending returns to 0 in every producer.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/contracts.h"
#include "events/kafka.h"
#include "support/kafka.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using Clock = std::chrono::steady_clock;
using events::v1::Envelope;

constexpr char kPrefix[] = "events_e2e";

// One decoded record of a topic.
struct Seen {
  Envelope event;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
};

// Every event of `topic` whose key is in `keys`, in order per partition.
std::vector<Seen> EventsOf(const std::string& brokers, const std::string& topic,
                           const std::set<std::string>& keys) {
  auto records = events::ReadTopic(brokers, topic);
  EXPECT_TRUE(records.ok()) << records.status();
  std::vector<Seen> out;
  if (!records.ok()) return out;
  for (const auto& r : *records) {
    if (!keys.count(r.key)) continue;
    Seen seen{Envelope(), r.partition, r.offset, r.key};
    EXPECT_TRUE(seen.event.ParseFromString(r.value)) << topic << "/" << r.offset;
    out.push_back(std::move(seen));
  }
  return out;
}

// The payload type names of `key`'s events, in publication order.
std::vector<std::string> TypesOf(const std::vector<Seen>& seen, const std::string& key) {
  std::vector<std::string> types;
  for (const auto& s : seen) {
    if (s.key == key) types.push_back(s.event.type());
  }
  return types;
}

// A gauge without labels on a /metrics page (the line that starts with its name, not its
// HELP line), -1 when absent.
double Gauge(int admin_port, const std::string& name) {
  const std::string page = "\n" + HttpClient(admin_port).Get("/metrics").body;
  const std::string key = "\n" + name + " ";
  const size_t at = page.find(key);
  if (at == std::string::npos) return -1;
  double value = -1;
  const size_t start = at + key.size();
  if (!absl::SimpleAtod(page.substr(start, page.find('\n', start) - start), &value)) return -1;
  return value;
}

// Polls `ready` every 100 ms until it holds or `deadline` passes; returns whether it held.
template <typename F>
bool PollUntil(F ready, std::chrono::seconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ready();
}

class EventsE2eTest : public ShopTest<EventsE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"},
            .env = {{"*",
                     {{"MERCATO_OUTBOX_POLL_INTERVAL_MS", "50"},
                      {"MERCATO_KAFKA_DELIVERY_TIMEOUT_MS", "2000"}}},
                    {"checkout",
                     {{"MERCATO_RPC_TIMEOUT_MS", "8000"}, {"MERCATO_CHECKOUT_LEASE_MS", "12000"}}},
                    {"gateway", {{"MERCATO_REQUEST_TIMEOUT_MS", "30000"}}}},
            .database_prefix = kPrefix,
            .kafka = true};
  }

 protected:
  static std::string brokers() { return suite_->kafka_brokers(); }

  // A paid (or, with a declined card, failed) order of one unit of `product_id`: its id.
  static std::string PlaceOrder(const std::string& product_id, const std::string& card,
                                int expected_status) {
    Shopper s;
    EXPECT_EQ(AddToCart(port(), s, product_id, 1).status, 200);
    HttpResult r = Checkout(port(), s, NewUuid(), CheckoutBody(card));
    EXPECT_EQ(r.status, expected_status) << r.body;
    if (!r.json.is_object() || !r.json.contains("id")) return ErrorCode(r);
    return r.json["id"].get<std::string>();
  }

  static std::string PaymentIdOf(const std::string& order_id) {
    return db().Checkout("SELECT payment_id FROM orders WHERE id = '" + order_id + "'");
  }

  static int64_t Unsent(const std::string& database) {
    return db().Count(database, "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
  }
};

// Each event id once across `seen`, and every record of one key in one partition.
void ExpectOncePerIdOnePartitionPerKey(const std::vector<Seen>& seen) {
  std::set<std::string> ids;
  std::map<std::string, int32_t> partition_of;
  for (const auto& s : seen) {
    EXPECT_TRUE(ids.insert(s.event.event_id()).second) << "twice: " << s.event.event_id();
    auto [it, fresh] = partition_of.emplace(s.key, s.partition);
    EXPECT_EQ(it->second, s.partition) << "key " << s.key << " in two partitions";
  }
}

TEST_F(EventsE2eTest, PaidOrderPublishesItsEventsOnceInOrder) {
  const std::string product = admin_->CreateProduct("Event kettle", 4200, 10);
  const std::string order = PlaceOrder(product, kGoodCard, 201);
  const std::string payment = PaymentIdOf(order);
  ASSERT_TRUE(IsUuid(payment)) << payment;

  std::vector<Seen> orders, payments;
  ASSERT_TRUE(PollUntil(
      [&] {
        orders = EventsOf(brokers(), events::kOrdersTopic, {order});
        payments = EventsOf(brokers(), events::kPaymentsTopic, {payment});
        return orders.size() >= 2 && payments.size() >= 2;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(TypesOf(orders, order), (std::vector<std::string>{"mercato.events.v1.OrderPlaced",
                                                              "mercato.events.v1.OrderPaid"}));
  EXPECT_EQ(TypesOf(payments, payment),
            (std::vector<std::string>{"mercato.events.v1.PaymentAuthorized",
                                      "mercato.events.v1.PaymentCaptured"}));
  ExpectOncePerIdOnePartitionPerKey(orders);
  ExpectOncePerIdOnePartitionPerKey(payments);

  const Envelope& placed = orders[0].event;
  EXPECT_EQ(placed.source(), "checkout");
  ASSERT_EQ(placed.order_placed().lines_size(), 1);
  EXPECT_EQ(placed.order_placed().lines(0).product_id(), product);
  EXPECT_EQ(placed.order_placed().lines(0).unit_price().amount(), 4200);
  const Envelope& paid = orders[1].event;
  EXPECT_EQ(paid.order_paid().payment_id(), payment);
  EXPECT_EQ(paid.order_paid().total().amount(), placed.order_placed().total().amount());
  EXPECT_EQ(payments[0].event.payment_authorized().order_id(), order);
  EXPECT_EQ(payments[0].event.payment_authorized().card_last4(), "4242");
  EXPECT_EQ(payments[1].event.payment_captured().amount().amount(),
            placed.order_placed().total().amount());

  // The checkout's consumer records both payment events against the order, once each.
  const std::string count_sql =
      "SELECT count(*) FROM order_payment_events WHERE order_id = '" + order + "'";
  ASSERT_TRUE(
      PollUntil([&] { return db().Count("checkout", count_sql) == 2; }, std::chrono::seconds(60)));
  EXPECT_EQ(db().Checkout("SELECT string_agg(kind, ',' ORDER BY occurred_at, kind) FROM "
                          "order_payment_events WHERE order_id = '" +
                          order + "'"),
            "authorized,captured");
}

TEST_F(EventsE2eTest, DeclinedOrderPublishesPlacedThenFailed) {
  const std::string product = admin_->CreateProduct("Event teapot", 1500, 5);
  const std::string order = PlaceOrder(product, kDeclinedCard, 402);
  // A declined order's id is in the checkout database (the answer carries the error).
  const std::string id = db().Checkout(
      "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = '" +
      product + "'");
  ASSERT_TRUE(IsUuid(id)) << id << " " << order;
  std::vector<Seen> orders;
  ASSERT_TRUE(PollUntil(
      [&] {
        orders = EventsOf(brokers(), events::kOrdersTopic, {id});
        return orders.size() >= 2;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(TypesOf(orders, id), (std::vector<std::string>{"mercato.events.v1.OrderPlaced",
                                                           "mercato.events.v1.OrderFailed"}));
  EXPECT_EQ(orders[1].event.order_failed().reason(), "payment_declined");
  ExpectOncePerIdOnePartitionPerKey(orders);
}

TEST_F(EventsE2eTest, ProductAndStockChangesArePublishedAndConsumedByTheReadModel) {
  const std::string product = admin_->CreateProduct("Event mug", 900, 6);
  admin_->SetPrice(product, 950);
  PlaceOrder(product, kGoodCard, 201);  // reserves one: sellable 6 -> 5 (the low-stock mark)
  std::vector<Seen> seen;
  ASSERT_TRUE(PollUntil(
      [&] {
        seen = EventsOf(brokers(), events::kCatalogTopic, {product});
        return seen.size() >= 4;
      },
      std::chrono::seconds(60)));
  // Created (facts and stock), repriced, reserved; committing the sale changes nothing
  // sellable, so it publishes nothing.
  EXPECT_EQ(TypesOf(seen, product), (std::vector<std::string>{
                                        "mercato.events.v1.ProductChanged",
                                        "mercato.events.v1.StockChanged",
                                        "mercato.events.v1.ProductChanged",
                                        "mercato.events.v1.StockChanged",
                                    }));
  ExpectOncePerIdOnePartitionPerKey(seen);
  EXPECT_EQ(seen[1].event.stock_changed().sellable_quantity(), 6);
  EXPECT_FALSE(seen[1].event.stock_changed().low_stock());
  EXPECT_EQ(seen[2].event.product_changed().price().amount(), 950);
  EXPECT_EQ(seen[3].event.stock_changed().sellable_quantity(), 5);
  EXPECT_TRUE(seen[3].event.stock_changed().low_stock());
  // The catalog's own read-model consumer applied them (its group is per process).
  EXPECT_TRUE(PollUntil(
      [&] {
        HttpResult m = HttpClient(suite_->admin_port("catalog")).Get("/metrics");
        return m.body.find("group=\"catalog.read-model.") != std::string::npos &&
               m.body.find("outcome=\"applied\"") != std::string::npos;
      },
      std::chrono::seconds(60)));
}

TEST_F(EventsE2eTest, BrokerDownThirtySecondsCheckoutsSucceedAndEverythingIsPublishedAfter) {
  const std::string product = admin_->CreateProduct("Outage pan", 3000, 50);
  KafkaServer::Shared()->Stop();
  const auto outage_start = Clock::now();
  std::vector<std::string> order_ids;
  // Checkouts spread over the outage, every one answered 201 while the broker is down.
  for (int i = 0; i < 6; ++i) {
    order_ids.push_back(PlaceOrder(product, kGoodCard, 201));
    std::this_thread::sleep_until(outage_start + std::chrono::seconds(5 * (i + 1)));
  }
  EXPECT_GE(Clock::now() - outage_start, std::chrono::seconds(30));
  EXPECT_GT(Unsent("checkout"), 0);
  EXPECT_GT(Unsent("payment"), 0);
  EXPECT_GT(Unsent("catalog"), 0);
  ASSERT_TRUE(KafkaServer::Shared()->Restart().ok());

  // Every producer's outbox drains, and says so on its metrics.
  for (const char* service : {"checkout", "payment", "catalog"}) {
    const int admin_port = suite_->admin_port(service);
    EXPECT_TRUE(PollUntil(
        [&] { return Unsent(service) == 0 && Gauge(admin_port, "mercato_outbox_pending") == 0; },
        std::chrono::seconds(120)))
        << service << ": " << Unsent(service) << " unsent, mercato_outbox_pending "
        << Gauge(admin_port, "mercato_outbox_pending");
  }
  std::set<std::string> keys(order_ids.begin(), order_ids.end());
  std::vector<Seen> orders = EventsOf(brokers(), events::kOrdersTopic, keys);
  ExpectOncePerIdOnePartitionPerKey(orders);
  for (const std::string& id : order_ids) {
    EXPECT_EQ(TypesOf(orders, id), (std::vector<std::string>{"mercato.events.v1.OrderPlaced",
                                                             "mercato.events.v1.OrderPaid"}))
        << id;
  }
}

}  // namespace
}  // namespace mercato::testing
