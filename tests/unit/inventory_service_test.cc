// Inventory and admin logic of CatalogService over the fake store and a real ProductCache:
// request validation, normalisation of reservation lines, metrics, read-your-writes in the
// cache, the admin role; plus the expiry sweeper and the catalog's inventory settings.
// No gRPC, no database (the PostgreSQL semantics are in tests/integration/inventory_*).
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_service.h"
#include "catalog/config.h"
#include "catalog/inventory_metrics.h"
#include "catalog/reservation_expiry_sweeper.h"
#include "catalog_fake_store.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/status.h"
#include "support/identity.h"
#include "support/inventory_requests.h"

namespace mercato::catalog {
namespace {

constexpr char kA[] = "00000000-0000-4000-8000-00000000000a";
constexpr char kB[] = "00000000-0000-4000-8000-00000000000b";
constexpr char kC[] = "00000000-0000-4000-8000-00000000000c";

using namespace inventory_requests;

CallContext Caller(std::string id, std::string role) {
  CallContext call;
  call.user_id = std::move(id);
  call.user_role = std::move(role);
  return call;
}

class InventoryServiceTest : public ::testing::Test {
 protected:
  InventoryServiceTest() : refresher_("", store_, cache_), executor_("t", 1, 10) {}

  void SetUp() override {
    for (const char* id : {kA, kB, kC}) {
      VersionedProduct p;
      p.product.set_id(id);
      p.product.set_name(absl::StrCat("product ", id));
      p.product.mutable_price()->set_amount(1000);
      p.product.mutable_price()->set_currency("USD");
      p.product.set_stock(10);
      p.version = 1;
      store_.products[id] = p;
    }
    for (const char* id : {"kitchen", "garden"}) {
      v1::Category c;
      c.set_id(id);
      c.set_name(id);
      store_.categories.push_back(c);
    }
    ASSERT_TRUE(refresher_.LoadAll().ok());
    service_ =
        std::make_unique<CatalogService>(store_, cache_, refresher_, executor_,
                                         InventoryOptions{.default_ttl = std::chrono::seconds(900),
                                                          .max_ttl = std::chrono::seconds(3600)},
                                         &registry_);
  }

  absl::Status DoReserve(const v1::ReserveStockRequest& request, v1::Reservation* out = nullptr) {
    v1::Reservation r;
    absl::Status s = service_->DoReserveStock(request, &r);
    if (out) *out = r;
    return s;
  }
  int64_t CachedStock(const std::string& id) { return cache_.Get(id)->stock(); }
  InventoryMetrics metrics() { return InventoryMetrics(registry_); }

  absl::Status Upsert(const v1::UpsertProductRequest& request, v1::Product* out = nullptr) {
    v1::Product p;
    absl::Status s = service_->DoUpsertProduct(request, &p);
    if (out) *out = p;
    return s;
  }

  v1::UpsertProductRequest NewProduct() {
    v1::UpsertProductRequest request;
    auto* p = request.mutable_product();
    p->set_name("Enamel pot");
    p->set_description("A pot.");
    p->mutable_price()->set_amount(4599);
    p->mutable_price()->set_currency("EUR");
    p->add_categories("kitchen");
    p->set_image_url("/images/products/pot.svg");
    p->set_stock(7);
    return request;
  }

  prometheus::Registry registry_;
  FakeCatalogStore store_;
  ProductCache cache_;
  CacheRefresher refresher_;
  BoundedExecutor executor_;
  std::unique_ptr<CatalogService> service_;
};

// ---- ReserveStock validation ----

TEST_F(InventoryServiceTest, ReservationIdMustBeShortAndPlain) {
  for (const std::string& id : {std::string(""), std::string(129, 'a'), std::string("a b"),
                                std::string("a/b"), std::string("ü")}) {
    absl::Status s = DoReserve(Reserve(id, {Item(kA, 1)}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(ExplicitErrorCodeOf(s), "invalid_reservation_id") << id;
  }
  EXPECT_TRUE(DoReserve(Reserve(std::string(128, 'a'), {Item(kA, 1)})).ok());
  EXPECT_TRUE(DoReserve(Reserve("order:42_a.b-c", {Item(kA, 1)})).ok());
}

TEST_F(InventoryServiceTest, EmptyOrTooManyLinesAreInvalid) {
  absl::Status empty = DoReserve(Reserve("r1", {}));
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExplicitErrorCodeOf(empty), "invalid_items");

  std::vector<v1::ReservationItem> many(kMaxReservationLines + 1, Item(kA, 1));
  absl::Status too_many = DoReserve(Reserve("r2", many));
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExplicitErrorCodeOf(too_many), "invalid_items");
  EXPECT_TRUE(store_.reservations.empty());
}

TEST_F(InventoryServiceTest, ThousandLinesOfOneProductMergeIntoOne) {
  std::vector<v1::ReservationItem> lines(kMaxReservationLines, Item(kA, 1));
  store_.products[kA].product.set_stock(5000);
  ASSERT_TRUE(DoReserve(Reserve("r", lines)).ok());
  ASSERT_EQ(store_.last_reserve_items.size(), 1u);
  EXPECT_EQ(store_.last_reserve_items[0].quantity(), 1000);
}

TEST_F(InventoryServiceTest, QuantityMustBePositiveAndBounded) {
  for (int q : {0, -1, kMaxReservationQuantity + 1}) {
    absl::Status s = DoReserve(Reserve("r", {Item(kA, 1), Item(kB, q)}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << q;
    EXPECT_EQ(ExplicitErrorCodeOf(s), "invalid_quantity") << q;
  }
  EXPECT_TRUE(store_.reservations.empty());
  EXPECT_EQ(store_.products[kA].product.stock(), 10);
}

TEST_F(InventoryServiceTest, ProductIdThatIsNoUuidIsNotFound) {
  absl::Status s = DoReserve(Reserve("r", {Item(kA, 1), Item("chef-knife", 1)}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "product_not_found");
  EXPECT_NE(s.message().find("chef-knife"), absl::string_view::npos);
  EXPECT_EQ(store_.products[kA].product.stock(), 10);
}

TEST_F(InventoryServiceTest, TtlZeroMeansDefaultAndIsBoundedByMax) {
  ASSERT_TRUE(DoReserve(Reserve("r1", {Item(kA, 1)}, 0)).ok());
  EXPECT_EQ(store_.last_reserve_ttl, std::chrono::seconds(900));
  ASSERT_TRUE(DoReserve(Reserve("r2", {Item(kA, 1)}, 3600)).ok());
  EXPECT_EQ(store_.last_reserve_ttl, std::chrono::seconds(3600));
  for (int ttl : {-1, 3601}) {
    absl::Status s = DoReserve(Reserve("r3", {Item(kA, 1)}, ttl));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << ttl;
    EXPECT_EQ(ExplicitErrorCodeOf(s), "invalid_ttl") << ttl;
  }
}

TEST_F(InventoryServiceTest, LinesAreMergedLowerCasedAndSortedById) {
  std::string upper_b = kB;
  for (auto& c : upper_b) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  v1::Reservation r;
  ASSERT_TRUE(
      DoReserve(Reserve("r", {Item(kC, 1), Item(kB, 2), Item(kA, 3), Item(upper_b, 4)}), &r).ok());
  ASSERT_EQ(store_.last_reserve_items.size(), 3u);
  EXPECT_EQ(store_.last_reserve_items[0].product_id(), kA);
  EXPECT_EQ(store_.last_reserve_items[0].quantity(), 3);
  EXPECT_EQ(store_.last_reserve_items[1].product_id(), kB);
  EXPECT_EQ(store_.last_reserve_items[1].quantity(), 6);
  EXPECT_EQ(store_.last_reserve_items[2].product_id(), kC);
  EXPECT_EQ(store_.last_reserve_items[2].quantity(), 1);
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_HELD);
  EXPECT_EQ(r.items_size(), 3);
}

// ---- ReserveStock effects ----

TEST_F(InventoryServiceTest, ReservingRefreshesTheCacheAndCountsOnce) {
  ASSERT_TRUE(DoReserve(Reserve("r", {Item(kA, 4), Item(kB, 1)})).ok());
  EXPECT_EQ(CachedStock(kA), 6);
  EXPECT_EQ(CachedStock(kB), 9);
  // An idempotent repeat changes nothing and is not counted again.
  ASSERT_TRUE(DoReserve(Reserve("r", {Item(kA, 4), Item(kB, 1)})).ok());
  EXPECT_EQ(CachedStock(kA), 6);
  EXPECT_EQ(metrics().reserved.Value(), 1);
  EXPECT_EQ(metrics().out_of_stock.Value(), 0);
}

TEST_F(InventoryServiceTest, OutOfStockIsCountedAndKeepsItsCode) {
  absl::Status s = DoReserve(Reserve("r", {Item(kA, 11)}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "out_of_stock");
  EXPECT_NE(s.message().find(kA), absl::string_view::npos);
  EXPECT_EQ(metrics().out_of_stock.Value(), 1);
  EXPECT_EQ(metrics().reserved.Value(), 0);
  EXPECT_EQ(CachedStock(kA), 10);
}

TEST_F(InventoryServiceTest, CommitAndReleaseAreCountedOnlyWhenTheyChangeSomething) {
  ASSERT_TRUE(DoReserve(Reserve("sold", {Item(kA, 2)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("back", {Item(kB, 3)})).ok());
  v1::CommitReservationRequest commit;
  commit.set_reservation_id("sold");
  v1::Reservation r;
  ASSERT_TRUE(service_->DoCommitReservation(commit, &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_COMMITTED);
  ASSERT_TRUE(service_->DoCommitReservation(commit, &r).ok());
  EXPECT_EQ(metrics().committed.Value(), 1);
  EXPECT_EQ(CachedStock(kA), 8);

  v1::ReleaseReservationRequest release;
  release.set_reservation_id("back");
  ASSERT_TRUE(service_->DoReleaseReservation(release, &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RELEASED);
  EXPECT_EQ(CachedStock(kB), 10);  // read your writes
  ASSERT_TRUE(service_->DoReleaseReservation(release, &r).ok());
  // A tombstone (an id never reserved) returns no stock and is not a release.
  release.set_reservation_id("never-reserved");
  ASSERT_TRUE(service_->DoReleaseReservation(release, &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RELEASED);
  EXPECT_EQ(r.items_size(), 0);
  EXPECT_EQ(metrics().released.Value(), 1);
}

TEST_F(InventoryServiceTest, ReturnStockIsCountedOnceAndRefreshesTheCache) {
  ASSERT_TRUE(DoReserve(Reserve("sold", {Item(kA, 2)})).ok());
  v1::CommitReservationRequest commit;
  commit.set_reservation_id("sold");
  v1::Reservation r;
  ASSERT_TRUE(service_->DoCommitReservation(commit, &r).ok());
  EXPECT_EQ(CachedStock(kA), 8);
  v1::ReturnStockRequest give_back;
  give_back.set_reservation_id("sold");
  ASSERT_TRUE(service_->DoReturnStock(give_back, &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(CachedStock(kA), 10);  // read your writes
  ASSERT_TRUE(service_->DoReturnStock(give_back, &r).ok());
  EXPECT_EQ(r.state(), v1::RESERVATION_STATE_RETURNED);
  EXPECT_EQ(CachedStock(kA), 10);
  EXPECT_EQ(metrics().returned.Value(), 1);
  // Held, unknown, malformed.
  ASSERT_TRUE(DoReserve(Reserve("held", {Item(kB, 1)})).ok());
  give_back.set_reservation_id("held");
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoReturnStock(give_back, &r)),
            "reservation_not_committed");
  give_back.set_reservation_id("never-reserved");
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoReturnStock(give_back, &r)), "reservation_not_found");
  give_back.set_reservation_id("has space");
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoReturnStock(give_back, &r)), "invalid_reservation_id");
  EXPECT_EQ(metrics().returned.Value(), 1);
}

TEST_F(InventoryServiceTest, CommitAndReleaseValidateTheId) {
  v1::Reservation r;
  v1::CommitReservationRequest commit;
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoCommitReservation(commit, &r)),
            "invalid_reservation_id");
  v1::ReleaseReservationRequest release;
  release.set_reservation_id("has space");
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoReleaseReservation(release, &r)),
            "invalid_reservation_id");
  EXPECT_TRUE(store_.reservations.empty());
}

// ---- the expiry sweeper ----

TEST_F(InventoryServiceTest, SweeperReturnsStockRefreshesTheCacheAndCounts) {
  ASSERT_TRUE(DoReserve(Reserve("r1", {Item(kA, 4)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("r2", {Item(kA, 1), Item(kB, 2)})).ok());
  ASSERT_TRUE(DoReserve(Reserve("r3", {Item(kC, 1)})).ok());
  EXPECT_EQ(CachedStock(kA), 5);
  // Batches of 2: the sweep goes on until a batch comes back short.
  ReservationExpirySweeper sweeper(store_, refresher_, registry_, {.batch_size = 2});
  auto swept = sweeper.SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 3);
  EXPECT_EQ(CachedStock(kA), 10);
  EXPECT_EQ(CachedStock(kB), 10);
  EXPECT_EQ(CachedStock(kC), 10);
  EXPECT_EQ(metrics().expired.Value(), 3);
  EXPECT_EQ(store_.reservations["r2"].state(), v1::RESERVATION_STATE_EXPIRED);
  auto again = sweeper.SweepOnce();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

// ---- admin ----

TEST_F(InventoryServiceTest, AdminWritesNeedACallerWithRoleAdmin) {
  {
    absl::Status s = Upsert(NewProduct());
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
    v1::SetStockRequest set;
    set.set_product_id(kA);
    v1::Product p;
    EXPECT_EQ(service_->DoSetStock(set, &p).code(), absl::StatusCode::kUnauthenticated);
  }
  {
    ScopedCallContext shopper(Caller("u1", "customer"));
    EXPECT_EQ(Upsert(NewProduct()).code(), absl::StatusCode::kPermissionDenied);
    v1::SetStockRequest set;
    set.set_product_id(kA);
    v1::Product p;
    EXPECT_EQ(service_->DoSetStock(set, &p).code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(store_.products.size(), 3u);
  EXPECT_EQ(store_.products[kA].product.stock(), 10);
}

TEST_F(InventoryServiceTest, CreateGeneratesAUuidAndIsVisibleInTheCacheAtOnce) {
  ScopedCallContext admin(Caller("u1", "admin"));
  v1::UpsertProductRequest request = NewProduct();
  request.mutable_product()->add_categories("kitchen");  // duplicates are dropped
  request.mutable_update_mask()->add_paths("name");      // ignored on create
  v1::Product created;
  ASSERT_TRUE(Upsert(request, &created).ok());
  EXPECT_TRUE(IsUuid(created.id()));
  EXPECT_EQ(created.name(), "Enamel pot");
  EXPECT_EQ(created.description(), "A pot.");
  EXPECT_EQ(created.price().amount(), 4599);
  EXPECT_EQ(created.price().currency(), "EUR");
  ASSERT_EQ(created.categories_size(), 1);
  EXPECT_EQ(created.stock(), 7);
  auto cached = cache_.Get(created.id());
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->name(), "Enamel pot");
  EXPECT_EQ(cached->stock(), 7);
}

TEST_F(InventoryServiceTest, CreateValidatesEveryFieldWithACodeNamingIt) {
  ScopedCallContext admin(Caller("u1", "admin"));
  struct Case {
    std::function<void(v1::Product&)> change;
    std::string code;
  };
  const std::vector<Case> cases = {
      {[](v1::Product& p) { p.set_name(""); }, "invalid_name"},
      {[](v1::Product& p) { p.set_name("   "); }, "invalid_name"},
      {[](v1::Product& p) { p.set_name(std::string(201, 'n')); }, "invalid_name"},
      {[](v1::Product& p) { p.set_description(std::string(5001, 'd')); }, "invalid_description"},
      {[](v1::Product& p) { p.clear_price(); }, "invalid_price"},
      {[](v1::Product& p) { p.mutable_price()->set_amount(-1); }, "invalid_price"},
      {[](v1::Product& p) { p.mutable_price()->set_currency("usd"); }, "invalid_price"},
      {[](v1::Product& p) { p.mutable_price()->set_currency("USDX"); }, "invalid_price"},
      {[](v1::Product& p) { p.add_categories("toys"); }, "invalid_categories"},
      {[](v1::Product& p) { p.set_image_url("javascript:alert(1)"); }, "invalid_image_url"},
      {[](v1::Product& p) { p.set_image_url("//evil.example/x.png"); }, "invalid_image_url"},
      {[](v1::Product& p) { p.set_image_url("/a b.png"); }, "invalid_image_url"},
      {[](v1::Product& p) { p.set_stock(-1); }, "invalid_stock"},
      {[](v1::Product& p) { p.set_stock(kMaxStock + 1); }, "invalid_stock"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::UpsertProductRequest request = NewProduct();
    cases[i].change(*request.mutable_product());
    absl::Status s = Upsert(request);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << i;
    EXPECT_EQ(ExplicitErrorCodeOf(s), cases[i].code) << i;
  }
  EXPECT_EQ(store_.products.size(), 3u);
  // The limits themselves are accepted; lengths count characters, not bytes.
  v1::UpsertProductRequest request = NewProduct();
  std::string name;
  for (int i = 0; i < kMaxProductNameLength; ++i) name += "é";
  request.mutable_product()->set_name(name);
  request.mutable_product()->set_description(std::string(5000, 'd'));
  request.mutable_product()->mutable_price()->set_amount(0);
  request.mutable_product()->set_stock(0);
  request.mutable_product()->set_image_url("https://cdn.example/p.png");
  EXPECT_TRUE(Upsert(request).ok());
}

TEST_F(InventoryServiceTest, UpdateWritesOnlyTheMaskedFields) {
  ScopedCallContext admin(Caller("u1", "admin"));
  v1::UpsertProductRequest request;
  request.mutable_product()->set_id(kA);
  request.mutable_product()->set_name("Renamed");
  request.mutable_product()->set_stock(-5);  // not in the mask: neither validated nor written
  request.mutable_update_mask()->add_paths("name");
  v1::Product updated;
  ASSERT_TRUE(Upsert(request, &updated).ok());
  EXPECT_TRUE(store_.last_update_fields.name);
  EXPECT_FALSE(store_.last_update_fields.stock);
  EXPECT_FALSE(store_.last_update_fields.price);
  EXPECT_EQ(updated.name(), "Renamed");
  EXPECT_EQ(updated.stock(), 10);
  EXPECT_EQ(updated.price().amount(), 1000);
  EXPECT_EQ(cache_.Get(kA)->name(), "Renamed");
}

TEST_F(InventoryServiceTest, UpdateRejectsUnknownMaskPathsAndUnknownProducts) {
  ScopedCallContext admin(Caller("u1", "admin"));
  v1::UpsertProductRequest request;
  request.mutable_product()->set_id(kA);
  request.mutable_update_mask()->add_paths("version");
  absl::Status s = Upsert(request);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExplicitErrorCodeOf(s), "invalid_update_mask");

  request.mutable_product()->set_id("00000000-0000-4000-8000-0000000000ff");
  request.mutable_product()->set_name("x");
  request.mutable_update_mask()->Clear();
  request.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(Upsert(request).code(), absl::StatusCode::kNotFound);
}

TEST_F(InventoryServiceTest, UpdateWithAnEmptyMaskValidatesAndWritesEveryField) {
  ScopedCallContext admin(Caller("u1", "admin"));
  v1::UpsertProductRequest request = NewProduct();
  request.mutable_product()->set_id(kA);
  request.mutable_product()->clear_price();
  EXPECT_EQ(ExplicitErrorCodeOf(Upsert(request)), "invalid_price");
  request = NewProduct();
  request.mutable_product()->set_id(kA);
  v1::Product updated;
  ASSERT_TRUE(Upsert(request, &updated).ok());
  const ProductFields& f = store_.last_update_fields;
  EXPECT_TRUE(f.name && f.description && f.price && f.categories && f.image_url && f.stock);
  EXPECT_EQ(updated.stock(), 7);
  EXPECT_EQ(cache_.Get(kA)->price().currency(), "EUR");
}

TEST_F(InventoryServiceTest, SetStockValidatesAndRefreshesTheCache) {
  ScopedCallContext admin(Caller("u1", "admin"));
  v1::SetStockRequest request;
  request.set_product_id(kB);
  request.set_stock(-1);
  v1::Product p;
  EXPECT_EQ(ExplicitErrorCodeOf(service_->DoSetStock(request, &p)), "invalid_stock");
  request.set_stock(42);
  ASSERT_TRUE(service_->DoSetStock(request, &p).ok());
  EXPECT_EQ(p.stock(), 42);
  EXPECT_EQ(CachedStock(kB), 42);
  request.set_product_id("00000000-0000-4000-8000-0000000000ff");
  EXPECT_EQ(service_->DoSetStock(request, &p).code(), absl::StatusCode::kNotFound);
}

// ---- configuration ----

absl::StatusOr<CatalogConfig> ConfigFrom(std::map<std::string, std::string> vars) {
  vars.emplace("MERCATO_DATABASE_URL", "postgresql://x@127.0.0.1/catalog");
  vars.emplace("MERCATO_KAFKA_BROKERS", "127.0.0.1:59092");
  vars = testing::WithTestKeys("catalog", std::move(vars));
  EnvReader env([vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
  return LoadCatalogConfig(env);
}

TEST(InventoryConfigTest, Defaults) {
  auto config = ConfigFrom({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reservation_default_ttl, std::chrono::seconds(900));
  EXPECT_EQ(config->reservation_max_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(config->reservation_sweep_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(config->reservation_sweep_batch, 100);
  EXPECT_EQ(config->low_stock_threshold, 5);
  EXPECT_EQ(config->events.kafka.brokers, "127.0.0.1:59092");
  EXPECT_EQ(config->events.kafka.client_id, "catalog");
}

TEST(InventoryConfigTest, LowStockThresholdIsReadAndChecked) {
  auto config = ConfigFrom({{"MERCATO_LOW_STOCK_THRESHOLD", "12"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->low_stock_threshold, 12);
  auto bad = ConfigFrom({{"MERCATO_LOW_STOCK_THRESHOLD", "-1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MERCATO_LOW_STOCK_THRESHOLD"), absl::string_view::npos);
}

TEST(InventoryConfigTest, ValuesAreReadAndChecked) {
  auto config = ConfigFrom({{"MERCATO_RESERVATION_TTL_S", "60"},
                            {"MERCATO_RESERVATION_MAX_TTL_S", "120"},
                            {"MERCATO_RESERVATION_SWEEP_MS", "50"},
                            {"MERCATO_RESERVATION_SWEEP_BATCH", "7"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reservation_default_ttl, std::chrono::seconds(60));
  EXPECT_EQ(config->reservation_max_ttl, std::chrono::seconds(120));
  EXPECT_EQ(config->reservation_sweep_interval, std::chrono::milliseconds(50));
  EXPECT_EQ(config->reservation_sweep_batch, 7);

  auto inverted =
      ConfigFrom({{"MERCATO_RESERVATION_TTL_S", "600"}, {"MERCATO_RESERVATION_MAX_TTL_S", "60"}});
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.status().message().find("MERCATO_RESERVATION_TTL_S"), absl::string_view::npos);
  auto bad = ConfigFrom({{"MERCATO_RESERVATION_SWEEP_MS", "soon"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MERCATO_RESERVATION_SWEEP_MS"), absl::string_view::npos);
}

}  // namespace
}  // namespace mercato::catalog
