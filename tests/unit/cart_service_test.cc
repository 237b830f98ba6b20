// Unit tests of the cart service's logic: an in-memory store and a gMock catalog stub.
#include "cart/cart_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "cart_fake_store.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "mercato/catalog/v1/catalog_mock.grpc.pb.h"

namespace mercato::cart {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::NiceMock;

constexpr char kSkillet[] = "11111111-1111-4111-8111-111111111111";
constexpr char kKnife[] = "22222222-2222-4222-8222-222222222222";
constexpr char kApron[] = "33333333-3333-4333-8333-333333333333";
constexpr char kUnknown[] = "99999999-9999-4999-8999-999999999999";

void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& error_code) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ErrorCodeOf(status), error_code) << status;
}

class CartServiceTest : public ::testing::Test {
 protected:
  CartServiceTest() : executor_("cart-test", 1, 1), guest_id_(RandomToken(32)) {
    ON_CALL(catalog_, BatchGetProducts(_, _, _))
        .WillByDefault(
            Invoke([this](grpc::ClientContext*, const catalog::v1::BatchGetProductsRequest& request,
                          catalog::v1::BatchGetProductsResponse* response) {
              batch_sizes_.push_back(request.ids_size());
              if (!catalog_status_.ok()) return catalog_status_;
              for (const auto& id : request.ids()) {
                auto it = products_.find(id);
                if (it == products_.end()) {
                  response->add_missing_ids(id);
                } else {
                  *response->add_products() = it->second;
                }
              }
              return grpc::Status::OK;
            }));
    Product(kSkillet, "Cast Iron Skillet", 3499, 84);
    Product(kKnife, "Chef Knife", 5999, 10);
    Product(kApron, "Apron", 1250, 0);
  }

  void Product(const std::string& id, const std::string& name, int64_t amount, int64_t stock,
               const std::string& currency = "USD") {
    catalog::v1::Product p;
    p.set_id(id);
    p.set_name(name);
    p.mutable_price()->set_amount(amount);
    p.mutable_price()->set_currency(currency);
    p.set_image_url("/images/products/" + id + ".svg");
    p.set_stock(stock);
    products_[id] = p;
  }

  CartService& service() {
    if (!service_) {
      service_ = std::make_unique<CartService>(store_, catalog_, executor_, CartService::Options{});
    }
    return *service_;
  }

  absl::StatusOr<v1::Cart> Add(const std::string& product_id, int quantity,
                               const std::string& guest_id) {
    v1::AddItemRequest request;
    request.set_guest_cart_id(guest_id);
    request.set_product_id(product_id);
    request.set_quantity(quantity);
    v1::Cart cart;
    absl::Status s = service().DoAddItem(request, &cart);
    if (!s.ok()) return s;
    return cart;
  }
  absl::StatusOr<v1::Cart> Add(const std::string& product_id, int quantity) {
    return Add(product_id, quantity, guest_id_);
  }
  absl::StatusOr<v1::Cart> Get(const std::string& guest_id) {
    v1::GetCartRequest request;
    request.set_guest_cart_id(guest_id);
    v1::Cart cart;
    absl::Status s = service().DoGetCart(request, &cart);
    if (!s.ok()) return s;
    return cart;
  }
  absl::StatusOr<v1::Cart> Update(const std::string& product_id, int quantity) {
    v1::UpdateItemRequest request;
    request.set_guest_cart_id(guest_id_);
    request.set_product_id(product_id);
    request.set_quantity(quantity);
    v1::Cart cart;
    absl::Status s = service().DoUpdateItem(request, &cart);
    if (!s.ok()) return s;
    return cart;
  }
  CartRef Guest() const { return CartRef::Guest(guest_id_); }

  NiceMock<catalog::v1::MockCatalogServiceStub> catalog_;
  std::map<std::string, catalog::v1::Product> products_;
  grpc::Status catalog_status_ = grpc::Status::OK;
  std::vector<int> batch_sizes_;
  FakeCartStore store_;
  BoundedExecutor executor_;
  std::unique_ptr<CartService> service_;
  const std::string guest_id_;
};

TEST_F(CartServiceTest, AnonymousCallerWithoutCartGetsEmptyCartWithoutTouchingTheStore) {
  auto cart = Get("");
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items_size(), 0);
  EXPECT_EQ(cart->subtotal().amount(), 0);
  EXPECT_EQ(cart->subtotal().currency(), "USD");
  EXPECT_EQ(store_.calls, 0);
  EXPECT_TRUE(batch_sizes_.empty());
}

TEST_F(CartServiceTest, MalformedGuestIdIsAnEmptyCart) {
  const std::vector<std::string> forged = {"short", "has spaces in it, so it is not an id",
                                           std::string(129, 'a'), "semi;colon-0123456789abcdef"};
  for (const auto& id : forged) {
    auto cart = Get(id);
    ASSERT_TRUE(cart.ok()) << cart.status();
    EXPECT_EQ(cart->items_size(), 0) << id;
  }
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(CartServiceTest, AddPricesTheLineFromTheCatalog) {
  auto cart = Add(kSkillet, 3);
  ASSERT_TRUE(cart.ok()) << cart.status();
  ASSERT_EQ(cart->items_size(), 1);
  const auto& line = cart->items(0);
  EXPECT_EQ(line.product_id(), kSkillet);
  EXPECT_EQ(line.name(), "Cast Iron Skillet");
  EXPECT_EQ(line.quantity(), 3);
  EXPECT_EQ(line.unit_price().amount(), 3499);
  EXPECT_EQ(line.unit_price().currency(), "USD");
  EXPECT_EQ(line.line_total().amount(), 3 * 3499);
  EXPECT_EQ(line.line_total().currency(), "USD");
  EXPECT_EQ(line.image_url(), std::string("/images/products/") + kSkillet + ".svg");
  EXPECT_EQ(line.available_stock(), 84);
  EXPECT_EQ(cart->subtotal().amount(), 3 * 3499);
  EXPECT_EQ(cart->subtotal().currency(), "USD");
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 3);
  // One catalog call for the whole add.
  EXPECT_EQ(batch_sizes_.size(), 1u);
}

TEST_F(CartServiceTest, AddAddsToTheExistingQuantityAndSubtotalSumsLines) {
  ASSERT_TRUE(Add(kSkillet, 2).ok());
  ASSERT_TRUE(Add(kKnife, 1).ok());
  auto cart = Add(kSkillet, 3);
  ASSERT_TRUE(cart.ok()) << cart.status();
  ASSERT_EQ(cart->items_size(), 2);
  // Ordered by name.
  EXPECT_EQ(cart->items(0).name(), "Cast Iron Skillet");
  EXPECT_EQ(cart->items(0).quantity(), 5);
  EXPECT_EQ(cart->items(0).line_total().amount(), 5 * 3499);
  EXPECT_EQ(cart->items(1).name(), "Chef Knife");
  EXPECT_EQ(cart->items(1).quantity(), 1);
  EXPECT_EQ(cart->subtotal().amount(), 5 * 3499 + 5999);
}

TEST_F(CartServiceTest, QuantityOutside1To99IsInvalidAndNothingIsStored) {
  for (int q : {0, -1, -100, 100, 1000}) {
    ExpectError(Add(kSkillet, q).status(), absl::StatusCode::kInvalidArgument, "invalid_quantity");
  }
  EXPECT_EQ(store_.calls, 0);
  EXPECT_TRUE(batch_sizes_.empty());
}

TEST_F(CartServiceTest, AddingPast99IsRefusedAndLeavesTheLine) {
  ASSERT_TRUE(Add(kSkillet, 98).ok());
  auto refused = Add(kSkillet, 2);
  ExpectError(refused.status(), absl::StatusCode::kInvalidArgument, "quantity_limit_exceeded");
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("holds 98"));
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 98);
  auto cart = Add(kSkillet, 1);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items(0).quantity(), 99);
}

TEST_F(CartServiceTest, UnknownProductIsNotFound) {
  ExpectError(Add(kUnknown, 1).status(), absl::StatusCode::kNotFound, "product_not_found");
  EXPECT_TRUE(store_.Lines(Guest()).empty());
}

TEST_F(CartServiceTest, EmptyOrOverlongProductIdIsInvalid) {
  ExpectError(Add("", 1).status(), absl::StatusCode::kInvalidArgument, "invalid_product_id");
  ExpectError(Add(std::string(65, 'x'), 1).status(), absl::StatusCode::kInvalidArgument,
              "invalid_product_id");
}

TEST_F(CartServiceTest, OutOfStockProductIsRefused) {
  ExpectError(Add(kApron, 1).status(), absl::StatusCode::kFailedPrecondition, "out_of_stock");
  EXPECT_TRUE(store_.Lines(Guest()).empty());
}

TEST_F(CartServiceTest, AddingAnotherCurrencyIsRefused) {
  Product(kApron, "Apron", 1100, 5, "EUR");
  ASSERT_TRUE(Add(kSkillet, 1).ok());
  ExpectError(Add(kApron, 1).status(), absl::StatusCode::kFailedPrecondition, "currency_mismatch");
  EXPECT_EQ(store_.QuantityOf(Guest(), kApron), 0);
}

TEST_F(CartServiceTest, ReadingAMixedCurrencyCartIsRefusedClearly) {
  ASSERT_TRUE(Add(kSkillet, 1).ok());
  ASSERT_TRUE(Add(kKnife, 1).ok());
  Product(kKnife, "Chef Knife", 5500, 10, "EUR");  // repriced in another currency
  ExpectError(Get(guest_id_).status(), absl::StatusCode::kFailedPrecondition, "currency_mismatch");
}

TEST_F(CartServiceTest, PriceAboveTheBoundIsAConflictNamingTheLineNeverAnInternalError) {
  // Issue 15, defect 7: a price stored before the bound made every read a 500.
  ASSERT_TRUE(Add(kSkillet, 1).ok());
  ASSERT_TRUE(Add(kKnife, 3).ok());
  Product(kKnife, "Chef Knife", int64_t{1} << 62, 10);
  const absl::Status read = Get(guest_id_).status();
  ExpectError(read, absl::StatusCode::kFailedPrecondition, "price_out_of_range");
  EXPECT_EQ(read.message(), absl::StrCat("items[1].unit_price of product ", kKnife,
                                         " must be between 0 and 1000000000 minor units; the "
                                         "product's price needs correcting"));
  // Adding to such a cart is refused before anything is stored.
  ExpectError(Add(kSkillet, 1).status(), absl::StatusCode::kFailedPrecondition,
              "price_out_of_range");
  ExpectError(Add(kKnife, 1).status(), absl::StatusCode::kFailedPrecondition, "price_out_of_range");
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 1);
  EXPECT_EQ(store_.QuantityOf(Guest(), kKnife), 3);
  // The shopper can still take the line out, and the rest prices again.
  v1::RemoveItemRequest remove;
  remove.set_guest_cart_id(guest_id_);
  remove.set_product_id(kKnife);
  v1::Cart after;
  ASSERT_TRUE(service().DoRemoveItem(remove, &after).ok());
  EXPECT_EQ(after.subtotal().amount(), 3499);
}

TEST_F(CartServiceTest, TheLargestPricesAndQuantitiesSumExactly) {
  Product(kSkillet, "Cast Iron Skillet", 1'000'000'000, 99);
  Product(kKnife, "Chef Knife", 1'000'000'000, 99);
  ASSERT_TRUE(Add(kSkillet, 99).ok());
  auto cart = Add(kKnife, 99);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items(0).line_total().amount(), 99'000'000'000);
  EXPECT_EQ(cart->subtotal().amount(), 198'000'000'000);
}

TEST_F(CartServiceTest, AddWithoutAnyCartIsRefused) {
  ExpectError(Add(kSkillet, 1, "").status(), absl::StatusCode::kInvalidArgument,
              "cart_id_required");
  ExpectError(Add(kSkillet, 1, "not a valid id").status(), absl::StatusCode::kInvalidArgument,
              "cart_id_required");
}

TEST_F(CartServiceTest, ReadPricesAtTheCurrentPrice) {
  ASSERT_TRUE(Add(kSkillet, 2).ok());
  Product(kSkillet, "Cast Iron Skillet", 2999, 84);  // price drop
  auto cart = Get(guest_id_);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items(0).unit_price().amount(), 2999);
  EXPECT_EQ(cart->items(0).line_total().amount(), 5998);
  EXPECT_EQ(cart->subtotal().amount(), 5998);
}

TEST_F(CartServiceTest, ProductThatLeftTheCatalogIsDroppedFromTheResultAndTheStore) {
  ASSERT_TRUE(Add(kSkillet, 2).ok());
  ASSERT_TRUE(Add(kKnife, 1).ok());
  products_.erase(kKnife);
  auto cart = Get(guest_id_);
  ASSERT_TRUE(cart.ok()) << cart.status();
  ASSERT_EQ(cart->items_size(), 1);
  EXPECT_EQ(cart->items(0).product_id(), kSkillet);
  EXPECT_EQ(cart->subtotal().amount(), 2 * 3499);
  EXPECT_EQ(store_.removed_lines, std::vector<std::string>{kKnife});
  EXPECT_EQ(store_.QuantityOf(Guest(), kKnife), 0);
}

TEST_F(CartServiceTest, CartWhoseProductsAllLeftHasZeroSubtotal) {
  ASSERT_TRUE(Add(kKnife, 1).ok());
  products_.erase(kKnife);
  auto cart = Get(guest_id_);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items_size(), 0);
  EXPECT_EQ(cart->subtotal().amount(), 0);
  EXPECT_EQ(cart->subtotal().currency(), "USD");
}

TEST_F(CartServiceTest, LargeCartIsPricedInCatalogBatchesOfAtMost100) {
  for (int i = 0; i < 150; ++i) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    Product(id, absl::StrCat("P", 1000 + i), 100, 5);
    store_.Lines(Guest()).push_back({id, 1});
  }
  auto cart = Get(guest_id_);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items_size(), 150);
  EXPECT_EQ(cart->subtotal().amount(), 150 * 100);
  EXPECT_EQ(batch_sizes_, (std::vector<int>{100, 50}));
}

TEST_F(CartServiceTest, SignedInCallerUsesTheirOwnCartAndIgnoresTheGuestId) {
  ScopedCallContext scope(CallContext{.user_id = "user-1"});
  auto cart = Add(kSkillet, 4);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(store_.QuantityOf(CartRef::User("user-1"), kSkillet), 4);
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 0);
  // Without a guest id too.
  ASSERT_TRUE(Add(kSkillet, 1, "").ok());
  EXPECT_EQ(store_.QuantityOf(CartRef::User("user-1"), kSkillet), 5);
}

TEST_F(CartServiceTest, CartsOfDifferentUsersAreSeparate) {
  {
    ScopedCallContext scope(CallContext{.user_id = "user-1"});
    ASSERT_TRUE(Add(kSkillet, 4).ok());
  }
  ScopedCallContext scope(CallContext{.user_id = "user-2"});
  auto cart = Get("");
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items_size(), 0);
}

TEST_F(CartServiceTest, CartFullRefusesANewLineButNotMoreOfAnExistingOne) {
  for (int i = 0; i < kMaxLinesPerCart; ++i) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    Product(id, absl::StrCat("P", i), 100, 5);
    store_.Lines(Guest()).push_back({id, 1});
  }
  ExpectError(Add(kSkillet, 1).status(), absl::StatusCode::kFailedPrecondition, "cart_full");
  EXPECT_TRUE(Add("00000000-0000-4000-8000-000000000000", 1).ok());
}

TEST_F(CartServiceTest, UpdateSetsTheQuantity) {
  ASSERT_TRUE(Add(kSkillet, 5).ok());
  auto cart = Update(kSkillet, 2);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items(0).quantity(), 2);
  EXPECT_EQ(cart->subtotal().amount(), 2 * 3499);
  ASSERT_TRUE(Update(kSkillet, 99).ok());
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 99);
}

TEST_F(CartServiceTest, UpdateValidatesQuantityAndLine) {
  ASSERT_TRUE(Add(kSkillet, 5).ok());
  for (int q : {0, -3, 100}) {
    ExpectError(Update(kSkillet, q).status(), absl::StatusCode::kInvalidArgument,
                "invalid_quantity");
  }
  ExpectError(Update(kKnife, 1).status(), absl::StatusCode::kNotFound, "item_not_in_cart");
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 5);
}

TEST_F(CartServiceTest, UpdateOfAnOutOfStockLineMayLowerButNotRaise) {
  ASSERT_TRUE(Add(kKnife, 3).ok());
  Product(kKnife, "Chef Knife", 5999, 0);
  ExpectError(Update(kKnife, 4).status(), absl::StatusCode::kFailedPrecondition, "out_of_stock");
  auto cart = Update(kKnife, 1);
  ASSERT_TRUE(cart.ok()) << cart.status();
  EXPECT_EQ(cart->items(0).quantity(), 1);
  EXPECT_EQ(cart->items(0).available_stock(), 0);
}

TEST_F(CartServiceTest, UpdateOfAVanishedProductIsNotFoundAndDropsTheLine) {
  ASSERT_TRUE(Add(kKnife, 3).ok());
  products_.erase(kKnife);
  ExpectError(Update(kKnife, 2).status(), absl::StatusCode::kNotFound, "product_not_found");
  EXPECT_EQ(store_.QuantityOf(Guest(), kKnife), 0);
}

TEST_F(CartServiceTest, RemoveAndClear) {
  ASSERT_TRUE(Add(kSkillet, 2).ok());
  ASSERT_TRUE(Add(kKnife, 1).ok());
  v1::RemoveItemRequest remove;
  remove.set_guest_cart_id(guest_id_);
  remove.set_product_id(kSkillet);
  v1::Cart cart;
  ASSERT_TRUE(service().DoRemoveItem(remove, &cart).ok());
  ASSERT_EQ(cart.items_size(), 1);
  EXPECT_EQ(cart.items(0).product_id(), kKnife);
  EXPECT_EQ(cart.subtotal().amount(), 5999);
  // Removing a line that is not there is not an error.
  ASSERT_TRUE(service().DoRemoveItem(remove, &cart).ok());
  EXPECT_EQ(cart.items_size(), 1);

  v1::ClearCartRequest clear;
  clear.set_guest_cart_id(guest_id_);
  ASSERT_TRUE(service().DoClearCart(clear, &cart).ok());
  EXPECT_EQ(cart.items_size(), 0);
  EXPECT_EQ(cart.subtotal().amount(), 0);
  EXPECT_EQ(cart.subtotal().currency(), "USD");
  EXPECT_TRUE(store_.carts.find("g:" + guest_id_) == store_.carts.end());
}

TEST_F(CartServiceTest, ClearWithTakeRemovesOnlyThoseQuantities) {
  ASSERT_TRUE(Add(kSkillet, 3).ok());
  ASSERT_TRUE(Add(kKnife, 1).ok());
  v1::ClearCartRequest clear;
  clear.set_guest_cart_id(guest_id_);
  auto* take = clear.add_take();
  take->set_product_id(kSkillet);
  take->set_quantity(2);
  take = clear.add_take();
  take->set_product_id(kKnife);
  take->set_quantity(1);
  take = clear.add_take();  // not in the cart: nothing to take
  take->set_product_id(kApron);
  take->set_quantity(4);
  v1::Cart cart;
  ASSERT_TRUE(service().DoClearCart(clear, &cart).ok());
  ASSERT_EQ(cart.items_size(), 1);
  EXPECT_EQ(cart.items(0).product_id(), kSkillet);
  EXPECT_EQ(cart.items(0).quantity(), 1);
  EXPECT_EQ(cart.subtotal().amount(), 3499);
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 1);
  EXPECT_EQ(store_.QuantityOf(Guest(), kKnife), 0);
  EXPECT_EQ(store_.QuantityOf(Guest(), kApron), 0);
}

TEST_F(CartServiceTest, ClearWithABadTakeIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Add(kSkillet, 3).ok());
  auto attempt = [&](auto fill) {
    v1::ClearCartRequest clear;
    clear.set_guest_cart_id(guest_id_);
    fill(clear);
    v1::Cart cart;
    return service().DoClearCart(clear, &cart);
  };
  auto line = [](v1::ClearCartRequest& r, const std::string& id, int quantity) {
    auto* take = r.add_take();
    take->set_product_id(id);
    take->set_quantity(quantity);
  };
  ExpectError(attempt([&](auto& r) { line(r, kSkillet, 0); }), absl::StatusCode::kInvalidArgument,
              "invalid_quantity");
  ExpectError(attempt([&](auto& r) { line(r, "", 1); }), absl::StatusCode::kInvalidArgument,
              "invalid_product_id");
  ExpectError(attempt([&](auto& r) {
                line(r, kSkillet, 1);
                line(r, kSkillet, 1);
              }),
              absl::StatusCode::kInvalidArgument, "invalid_take");
  ExpectError(attempt([&](auto& r) {
                for (int i = 0; i < 101; ++i) line(r, absl::StrCat("p", i), 1);
              }),
              absl::StatusCode::kInvalidArgument, "invalid_take");
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 3);
}

TEST_F(CartServiceTest, MergeNeedsASignedInCaller) {
  v1::MergeGuestCartRequest request;
  request.set_guest_cart_id(guest_id_);
  v1::Cart cart;
  EXPECT_EQ(service().DoMergeGuestCart(request, &cart).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(CartServiceTest, MergeAddsQuantitiesCapsAt99AndDeletesTheGuestCart) {
  ASSERT_TRUE(Add(kSkillet, 60).ok());
  ASSERT_TRUE(Add(kKnife, 2).ok());
  ScopedCallContext scope(CallContext{.user_id = "user-1", .user_role = "customer"});
  ASSERT_TRUE(Add(kSkillet, 50, "").ok());
  v1::MergeGuestCartRequest request;
  request.set_guest_cart_id(guest_id_);
  v1::Cart cart;
  ASSERT_TRUE(service().DoMergeGuestCart(request, &cart).ok());
  ASSERT_EQ(cart.items_size(), 2);
  EXPECT_EQ(cart.items(0).product_id(), kSkillet);
  EXPECT_EQ(cart.items(0).quantity(), 99);
  EXPECT_EQ(cart.items(1).product_id(), kKnife);
  EXPECT_EQ(cart.items(1).quantity(), 2);
  EXPECT_EQ(cart.subtotal().amount(), 99 * 3499 + 2 * 5999);
  EXPECT_TRUE(store_.carts.find("g:" + guest_id_) == store_.carts.end());
}

TEST_F(CartServiceTest, MergeWithoutAGuestCartReturnsTheUsersCart) {
  ScopedCallContext scope(CallContext{.user_id = "user-1"});
  ASSERT_TRUE(Add(kKnife, 2, "").ok());
  v1::MergeGuestCartRequest request;  // no guest id
  v1::Cart cart;
  ASSERT_TRUE(service().DoMergeGuestCart(request, &cart).ok());
  ASSERT_EQ(cart.items_size(), 1);
  EXPECT_EQ(cart.items(0).quantity(), 2);
}

TEST_F(CartServiceTest, StoreOutageIsUnavailableWithoutInternalDetails) {
  store_.fail_with = absl::UnavailableError("Redis at 10.0.0.7:6379: Connection refused");
  for (const auto& status : {Get(guest_id_).status(), Add(kSkillet, 1).status()}) {
    ExpectError(status, absl::StatusCode::kUnavailable, "cart_unavailable");
    EXPECT_EQ(std::string(status.message()).find("10.0.0.7"), std::string::npos) << status;
  }
}

TEST_F(CartServiceTest, CatalogOutageIsUnavailable) {
  ASSERT_TRUE(Add(kSkillet, 1).ok());
  catalog_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
  ExpectError(Get(guest_id_).status(), absl::StatusCode::kUnavailable, "catalog_unavailable");
  ExpectError(Add(kSkillet, 1).status(), absl::StatusCode::kUnavailable, "catalog_unavailable");
  EXPECT_EQ(store_.QuantityOf(Guest(), kSkillet), 1);
}

}  // namespace
}  // namespace mercato::cart
