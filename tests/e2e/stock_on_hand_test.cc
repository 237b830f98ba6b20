// Issue 15, defect 8: stock could be oversold after an admin edit. "Set stock" was absolute
// while releasing a reservation added its units back: 5 on the shelf with 3 held, set to 5,
// release -> 8 sellable. The catalog now keeps on hand and held apart; an admin sets on hand
// (held units included) and sellable = on hand - held. Black-box through the real gateway,
// checkout, payment and catalog: an admin edit while orders hold stock, settled afterwards by
// a payment and two declines; and admin edits racing releases over HTTP and gRPC.
#include <signal.h>

#include <latch>
#include <thread>

#include "rpc/status_conversion.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;
using std::chrono::milliseconds;

constexpr char kPrefix[] = "stock_on_hand_e2e";

class StockOnHandTest : public ShopTest<StockOnHandTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .env = LongDeadlines(), .database_prefix = kPrefix};
  }
  static void SetUpTestSuite() {
    ShopTest::SetUpTestSuite();
    if (suite_ == nullptr) return;
    catalog_ = NewStub<catalog::v1::CatalogService>(suite_->address("catalog"));
  }
  static void TearDownTestSuite() {
    catalog_.reset();
    ShopTest::TearDownTestSuite();
  }

 protected:
  static std::string Shelf(const std::string& id) {
    return db().Catalog(
        "SELECT on_hand || '|' || reserved || '|' || stock FROM products WHERE id "
        "= '" +
        id + "'");
  }
  static HttpResult PatchStock(const std::string& id, int64_t stock) {
    json body = json::object();
    body["stock"] = stock;
    return Call(port(), "PATCH", "/api/v1/admin/products/" + id, body.dump(),
                {{"Authorization", "Bearer " + MintToken(NewUuid(), "admin")}});
  }
  // ReserveStock / ReleaseReservation as checkout sends them (with its service token).
  static absl::Status Reserve(const std::string& reservation_id, const std::string& product,
                              int quantity) {
    catalog::v1::ReserveStockRequest request;
    request.set_reservation_id(reservation_id);
    auto* item = request.add_items();
    item->set_product_id(product);
    item->set_quantity(quantity);
    catalog::v1::Reservation reply;
    auto ctx = CallAs("checkout", "catalog");
    return FromGrpcStatus(catalog_->ReserveStock(ctx.get(), request, &reply));
  }
  static absl::Status Release(const std::string& reservation_id) {
    catalog::v1::ReleaseReservationRequest request;
    request.set_reservation_id(reservation_id);
    catalog::v1::Reservation reply;
    auto ctx = CallAs("checkout", "catalog");
    return FromGrpcStatus(catalog_->ReleaseReservation(ctx.get(), request, &reply));
  }

  static inline std::unique_ptr<catalog::v1::CatalogService::Stub> catalog_;
};

TEST_F(StockOnHandTest, AnAdminEditWhileOrdersHoldStockNeverMakesHeldUnitsSellableTwice) {
  const std::string product = admin_->CreateProduct("Shelf", 1000, 5);
  WarmUpCheckout(port(), admin_->CreateProduct("Warm-up", 100, 5));
  // Three orders hold one unit each while the payment service is stopped: one will be paid,
  // two declined.
  suite_->process("payment").Signal(SIGSTOP);
  std::vector<HttpResult> answers(3);
  std::vector<std::thread> buyers;
  for (int i = 0; i < 3; ++i) {
    buyers.emplace_back([&, i] {
      Shopper s;
      HttpResult added = AddToCart(port(), s, product, 1);
      ASSERT_EQ(added.status, 200) << added.body;
      answers[i] = Checkout(port(), s, NewUuid(), CheckoutBody(i == 0 ? kGoodCard : kDeclinedCard));
    });
  }
  bool held = false;
  for (int i = 0; i < 400 && !held; ++i) {
    held = Shelf(product) == "5|3|2";
    if (!held) std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_TRUE(held) << Shelf(product);

  // The admin counts 5 on the shelf (the held units are still there) and sets 5.
  HttpResult set = PatchStock(product, 5);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json["stock"], 2);
  EXPECT_EQ(set.json["on_hand"], 5);
  EXPECT_EQ(set.json["reserved"], 3);
  HttpResult below = PatchStock(product, 2);
  EXPECT_EQ(below.status, 409) << below.body;
  EXPECT_EQ(ErrorCode(below), "stock_below_reserved");
  EXPECT_EQ(Shelf(product), "5|3|2");

  suite_->process("payment").Signal(SIGCONT);
  for (auto& t : buyers) t.join();
  EXPECT_EQ(answers[0].status, 201) << answers[0].body;
  EXPECT_EQ(answers[1].status, 402) << answers[1].body;
  EXPECT_EQ(answers[2].status, 402) << answers[2].body;
  // One unit sold of the 5 counted, two returned to sale: 4, never 7 as before.
  EXPECT_EQ(Shelf(product), "4|0|4");
  HttpResult shown = Call(port(), "GET", "/api/v1/products/" + product, "", {});
  EXPECT_EQ(shown.json["stock"], 4) << shown.body;
}

TEST_F(StockOnHandTest, AdminEditsRacingReleasesThroughTheRealServicesKeepTheCount) {
  // Each round: 5 on hand, 3 held by one reservation; then at once the admin sets 5 over
  // HTTP and checkout's release arrives over gRPC. Either order ends with 5 sellable (before
  // the fix: 8 whenever the set came first).
  for (int round = 0; round < 15; ++round) {
    const std::string product = admin_->CreateProduct("Race", 1000, 5);
    const std::string reservation = "race-" + NewUuid();
    ASSERT_TRUE(Reserve(reservation, product, 3).ok());
    std::latch start(2);
    HttpResult set;
    absl::Status released;
    std::thread admin([&] {
      start.arrive_and_wait();
      set = PatchStock(product, 5);
    });
    std::thread checkout([&] {
      start.arrive_and_wait();
      released = Release(reservation);
    });
    admin.join();
    checkout.join();
    EXPECT_EQ(set.status, 200) << set.body;
    EXPECT_TRUE(released.ok()) << released;
    EXPECT_EQ(Shelf(product), "5|0|5") << "round " << round;
  }
}

}  // namespace
}  // namespace mercato::testing
