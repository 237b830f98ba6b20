// Black-box: the catalog API through the real gateway and catalog binaries, over HTTP, with
// a real PostgreSQL holding the seed catalog.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "support/http_client.h"
#include "support/postgres.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

class CatalogApiTest : public SuiteTest<CatalogApiTest> {
 public:
  // /readyz uncached: the last test reads it right after stopping the catalog.
  static SuiteOptions Options() {
    return {.services = {"gateway", "catalog"},
            .with_dependencies = false,
            .env = {{"gateway", {{"MERCATO_READYZ_CACHE_MS", "0"}}}},
            .database_prefix = "catalog_e2e"};
  }

 protected:
  HttpClient http() const { return HttpClient(suite_->port("gateway")); }
  static int ProductCount() {
    return std::stoi(
        PostgresServer::Shared()->Psql("catalog_e2e_catalog", "SELECT count(*) FROM products"));
  }
};

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

TEST_F(CatalogApiTest, SearchAndCategoryFilter) {
  HttpResult r = http().Get("/api/v1/products?q=cast%20iron%20skillet");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["products"].size(), 2u);
  for (const auto& p : r.json["products"]) {
    EXPECT_EQ(p["name"].get<std::string>().rfind("Cast Iron Skillet", 0), 0u);
  }
  // '+' in a query string is a space.
  EXPECT_EQ(http().Get("/api/v1/products?q=cast+iron+skillet").json["products"].size(), 2u);

  HttpResult books = http().Get("/api/v1/products?category=books&page_size=100");
  ASSERT_EQ(books.status, 200);
  EXPECT_EQ(
      static_cast<int>(books.json["products"].size()),
      std::stoi(PostgresServer::Shared()->Psql(
          "catalog_e2e_catalog", "SELECT count(*) FROM products WHERE 'books' = ANY(categories)")));
  for (const auto& p : books.json["products"]) {
    const auto& cats = p["categories"];
    EXPECT_NE(std::find(cats.begin(), cats.end(), "books"), cats.end());
  }
  HttpResult none = http().Get("/api/v1/products?q=zzzzqqq");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.json["products"].empty());
  EXPECT_FALSE(none.json.contains("next_page_token"));
}

TEST_F(CatalogApiTest, SearchPagesAreDisjoint) {
  std::set<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/api/v1/products?q=edition&page_size=25";
    if (!token.empty()) target += "&page_token=" + token;
    HttpResult r = http().Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& p : r.json["products"]) {
      EXPECT_TRUE(ids.insert(p["id"].get<std::string>()).second);
    }
    token = r.json.value("next_page_token", "");
    ASSERT_LT(++pages, 50);
  } while (!token.empty());
  EXPECT_EQ(static_cast<int>(ids.size()), ProductCount());  // every description says "edition"
}

TEST_F(CatalogApiTest, ProductByIdAndCategories) {
  HttpResult first = http().Get("/api/v1/products?page_size=1");
  const std::string id = first.json["products"][0]["id"];
  HttpResult r = http().Get("/api/v1/products/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json, first.json["products"][0]);
  HttpResult cats = http().Get("/api/v1/categories");
  ASSERT_EQ(cats.status, 200);
  ASSERT_GE(cats.json["categories"].size(), 8u);
  EXPECT_EQ(cats.json["categories"][0],
            nlohmann::json::parse(R"({"id":"kitchen","name":"Kitchen & Dining"})"));
}

TEST_F(CatalogApiTest, UnknownProductIs404WithJsonError) {
  for (const char* id : {"00000000-0000-4000-8000-000000000000", "not-a-uuid", "%2e%2e"}) {
    HttpResult r = http().Get(std::string("/api/v1/products/") + id);
    EXPECT_EQ(r.status, 404) << id;
    EXPECT_EQ(r.json["error"]["code"], "not_found");
    EXPECT_EQ(r.json["error"]["request_id"], r.Header("x-request-id"));
  }
}

TEST_F(CatalogApiTest, BadQueryParametersAre400) {
  for (const char* q :
       {"page_size=abc", "page_size=0", "page_size=101", "page_size=-1", "page_size=1e3",
        "page_size=20abc", "page_token=garbage", "page_token=%ff%fe"}) {
    HttpResult r = http().Get(std::string("/api/v1/products?") + q);
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
    EXPECT_TRUE(r.json["error"]["message"].is_string());
  }
  // A token issued for one category is refused for another.
  HttpResult kitchen = http().Get("/api/v1/products?category=kitchen&page_size=2");
  HttpResult r = http().Get("/api/v1/products?category=books&page_token=" +
                            kitchen.json["next_page_token"].get<std::string>());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["error"]["message"], "page_token was issued for different filters");
  HttpResult long_query = http().Get("/api/v1/products?q=" + std::string(300, 'a'));
  EXPECT_EQ(long_query.status, 400);
}

TEST_F(CatalogApiTest, UnknownRouteIs404AndWrongMethodIs405) {
  HttpResult unknown = http().Get("/api/v1/nothing-here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json["error"]["code"], "not_found");
  HttpResult post = http().Send("DELETE", "/api/v1/products", "");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET");
  EXPECT_EQ(post.json["error"]["code"], "method_not_allowed");
}

TEST_F(CatalogApiTest, OversizeBodyIs413AndOversizeHeadersAre431) {
  // The gateway refuses as soon as it reads the declared length (and closes), so the test
  // sends only the start of the body instead of racing a 2 MiB write against the close.
  std::string big = http().SendRaw(
      "POST /api/v1/products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2097152\r\n\r\n" +
      std::string(1000, 'x'));
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0u) << big;
  EXPECT_NE(big.find("\"code\":\"body_too_large\""), std::string::npos);
  HttpResult headers = http().Get("/api/v1/products", {{"X-Big", std::string(16 * 1024, 'h')}});
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(headers.json["error"]["code"], "headers_too_large");
}

TEST_F(CatalogApiTest, MalformedHttpIs400AndTheGatewaySurvives) {
  std::string raw = http().SendRaw("GARBAGE\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << raw;
  raw = http().SendRaw("GET /api/v1/products HTTP/1.1\r\nContent-Length: abc\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << raw;
  EXPECT_EQ(http().Get("/healthz").status, 200);
}

TEST_F(CatalogApiTest, RequestIdIsEchoedOrGeneratedAndReachesTheCatalogLog) {
  HttpResult mine = http().Get("/api/v1/products/nope", {{"X-Request-Id", "e2e-trace-123"}});
  EXPECT_EQ(mine.Header("x-request-id"), "e2e-trace-123");
  EXPECT_EQ(mine.json["error"]["request_id"], "e2e-trace-123");
  HttpResult generated = http().Get("/healthz");
  EXPECT_EQ(generated.Header("x-request-id").size(), 36u);
  HttpResult hostile = http().Get("/healthz", {{"X-Request-Id", "bad id with spaces"}});
  EXPECT_NE(hostile.Header("x-request-id"), "bad id with spaces");
  // The gateway logs each request as a JSON line with the id.
  bool found = false;
  for (int i = 0; i < 50 && !found; ++i) {
    found = suite_->process("gateway").ReadLog().find("\"request_id\":\"e2e-trace-123\"") !=
            std::string::npos;
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(found);
}

// Found by tests/fuzz/page_token_fuzzer: a page_token whose "v" is not a number made the
// decoder throw, and browsing runs inline on a gRPC thread, so one anonymous GET took the
// catalog down. It is a 400 like any other bad token, and the catalog keeps serving.
TEST_F(CatalogApiTest, PageTokenOfTheWrongShapeIs400AndTheCatalogSurvives) {
  // URL-safe base64 of {"v":"x"}, {"v":[1]}, {"v":1.5,...}, {"v":null}.
  for (const char* token :
       {"eyJ2IjoieCJ9", "eyJ2IjpbMV19", "eyJ2IjoxLjUsImYiOiJ4IiwiaSI6IngifQ", "eyJ2IjpudWxsfQ"}) {
    HttpResult r = http().Get(std::string("/api/v1/products?page_token=") + token);
    EXPECT_EQ(r.status, 400) << token << " " << r.body;
    EXPECT_EQ(r.json["error"]["message"], "invalid page_token") << r.body;
  }
  EXPECT_TRUE(suite_->process("catalog").Running());
  EXPECT_EQ(http().Get("/api/v1/products?page_size=1").status, 200);
}

TEST_F(CatalogApiTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(http().Get("/healthz").json["status"], "ok");
  HttpResult ready = http().Get("/readyz");
  // Only catalog runs here: readiness reports each backend.
  EXPECT_EQ(ready.json["backends"]["catalog"], "SERVING");
  HttpResult metrics = HttpClient(suite_->admin_port("gateway")).Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("http_requests_total{"), std::string::npos);
  EXPECT_NE(metrics.body.find("grpc_client_handled_total{"), std::string::npos);
  HttpResult catalog_metrics = HttpClient(suite_->admin_port("catalog")).Get("/metrics");
  EXPECT_NE(catalog_metrics.body.find(
                "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"ListProducts\""),
            std::string::npos);
  EXPECT_NE(catalog_metrics.body.find("process_resident_memory_bytes"), std::string::npos);
}

TEST_F(CatalogApiTest, StorefrontIsServedWithDeepLinkFallback) {
  HttpResult index = http().Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  HttpResult deep = http().Get("/products/some-id");
  EXPECT_EQ(deep.status, 200);
  EXPECT_EQ(deep.body, index.body);
  HttpResult image = http().Get(http()
                                    .Get("/api/v1/products?page_size=1")
                                    .json["products"][0]["image_url"]
                                    .get<std::string>());
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.Header("content-type"), "image/svg+xml");
  EXPECT_EQ(http().Get("/missing.js").status, 404);
}

// Runs last (gtest keeps declaration order): it stops the services.
TEST_F(CatalogApiTest, ZzCatalogDownMakesReadinessFailAndSigtermExitsCleanly) {
  suite_->Kill("catalog");
  HttpResult ready = http().Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json["backends"]["catalog"], "UNAVAILABLE");
  // The gateway itself still takes traffic (the Kubernetes readiness probe).
  HttpResult local = http().Get("/readyz/local");
  EXPECT_EQ(local.status, 200);
  EXPECT_EQ(local.json["status"], "ready");
  HttpResult list = http().Get("/api/v1/products");
  EXPECT_EQ(list.status, 503);
  EXPECT_EQ(list.json["error"]["code"], "service_unavailable");
  EXPECT_EQ(list.Header("retry-after"), "1");
  ASSERT_TRUE(suite_->StartService("catalog").ok());
  // The gateway's channel reconnects on gRPC's backoff (about 1 s after the failure, then
  // longer): the catalog is served again within it, not necessarily on the very next call.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int served = http().Get("/api/v1/products").status;
  while (served != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    served = http().Get("/api/v1/products").status;
  }
  EXPECT_EQ(served, 200);
  const int catalog_status = suite_->Terminate("catalog");
  EXPECT_TRUE(WIFEXITED(catalog_status) && WEXITSTATUS(catalog_status) == 0) << catalog_status;
  const int gateway_status = suite_->Terminate("gateway");
  EXPECT_TRUE(WIFEXITED(gateway_status) && WEXITSTATUS(gateway_status) == 0) << gateway_status;
  // Every log line of both services is a JSON object.
  for (const char* service : {"catalog", "gateway"}) {
    std::istringstream log(suite_->process(service).ReadLog());
    int lines = 0;
    for (std::string line; std::getline(log, line);) {
      if (line.empty()) continue;
      ++lines;
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << service << ": " << line;
      EXPECT_TRUE(parsed.contains("timestamp") && parsed.contains("level") &&
                  parsed.contains("service") && parsed.contains("request_id") &&
                  parsed.contains("message"));
    }
    EXPECT_GT(lines, 2) << service;
  }
}

}  // namespace
}  // namespace mercato::testing
