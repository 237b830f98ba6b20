// Black-box: the catalog API through the real gateway and catalog binaries, over HTTP, with
// a real PostgreSQL holding the seed catalog.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "support/http_client.h"
#include "support/postgres.h"
#include "support/suite.h"

namespace mercato::testing {
namespace {

class CatalogApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = Suite::Start({.services = {"gateway", "catalog"},
                               .with_dependencies = false,
                               .database_prefix = "catalog_e2e"});
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  HttpClient http() const { return HttpClient(suite_->port("gateway")); }
  static int ProductCount() {
    return std::stoi(PostgresServer::Shared()->Psql("catalog_e2e_catalog",
                                                    "SELECT count(*) FROM products"));
  }

  static Suite* suite_;
};

Suite* CatalogApiTest::suite_ = nullptr;

TEST_F(CatalogApiTest, FirstPageHasTwentyProductsWithTheDocumentedShape) {
  HttpResult r = http().Get("/api/v1/products");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  ASSERT_EQ(r.json["products"].size(), 20u);
  const auto& p = r.json["products"][0];
  for (const char* key : {"id", "name", "description", "categories", "image_url"}) {
    EXPECT_TRUE(p.contains(key)) << key;
  }
  EXPECT_TRUE(p["price"]["amount"].is_number_integer());
  EXPECT_EQ(p["price"]["currency"], "USD");
  EXPECT_TRUE(p["stock"].is_number_integer());
  EXPECT_FALSE(r.json["next_page_token"].get<std::string>().empty());
}

TEST_F(CatalogApiTest, PagingReachesEveryProductExactlyOnce) {
  const int expected = ProductCount();
  ASSERT_GE(expected, 200);
  std::set<std::string> ids;
  int pages = 0;
  std::string token;
  do {
    std::string target = "/api/v1/products?page_size=37";
    if (!token.empty()) target += "&page_token=" + token;
    HttpResult r = http().Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& p : r.json["products"]) {
      EXPECT_TRUE(ids.insert(p["id"].get<std::string>()).second) << "repeated " << p["id"];
    }
    token = r.json.value("next_page_token", "");
    ++pages;
    ASSERT_LT(pages, 100);
  } while (!token.empty());
  EXPECT_EQ(static_cast<int>(ids.size()), expected);
  EXPECT_EQ(pages, (expected + 36) / 37);
}

}  // namespace
}  // namespace mercato::testing
