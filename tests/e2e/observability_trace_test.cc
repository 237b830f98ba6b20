// One request followed across services by its trace id: a checkout sent with a W3C
// traceparent is answered with X-Trace-Id, and the gateway's, checkout's and payment's JSON
// log lines about it carry that trace id (a grep finds the request in every log). A request
// without a traceparent (or with a malformed one) gets a new trace. Every log line of every
// service is one JSON object with a trace_id field.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "support/shop_e2e.h"

namespace mercato::testing {
namespace {

using namespace shop_e2e;

class TraceE2eTest : public SuiteTest<TraceE2eTest> {
 public:
  static SuiteOptions Options() {
    return {.services = {"gateway"}, .database_prefix = "observability_trace"};
  }

 protected:
  // The log lines of `service` that mention `needle` (a grep).
  static std::vector<std::string> Grep(const std::string& service, const std::string& needle) {
    std::vector<std::string> out;
    for (absl::string_view line : absl::StrSplit(suite_->process(service).ReadLog(), '\n')) {
      if (line.find(needle) != absl::string_view::npos) out.emplace_back(line);
    }
    return out;
  }
};

TEST_F(TraceE2eTest, ACheckoutCanBeFollowedAcrossGatewayCheckoutAndPaymentLogs) {
  CatalogAdmin admin(suite_->address("catalog"));
  const std::string product = admin.CreateProduct("Traced teapot", 2500, 10);
  Shopper shopper;
  ASSERT_EQ(AddToCart(port(), shopper, product, 1).status, 200);

  const std::string trace_id = RandomHex(16);
  const std::string traceparent = "00-" + trace_id + "-" + RandomHex(8) + "-01";
  auto headers = shopper.Auth();
  headers["Idempotency-Key"] = NewUuid();
  headers["traceparent"] = traceparent;
  HttpResult r = Call(port(), "POST", "/api/v1/checkout", CheckoutBody().dump(), headers);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("x-trace-id"), trace_id);
  const std::string order_id = r.json["id"];

  for (const char* service : {"gateway", "checkout", "payment"}) {
    auto lines = Grep(service, trace_id);
    ASSERT_FALSE(lines.empty()) << "no " << service << " log line has trace id " << trace_id;
    for (const auto& line : lines) {
      json parsed = json::parse(line, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << line;
      EXPECT_EQ(parsed["trace_id"], trace_id) << line;
      EXPECT_EQ(parsed["service"], service) << line;
    }
  }
  // What the lines say: the gateway's access log, the order paid, the payment authorized.
  bool access = false, paid = false, authorized = false;
  for (const auto& l : Grep("gateway", trace_id))
    access |= l.find("POST /api/v1/checkout 201") != std::string::npos;
  for (const auto& l : Grep("checkout", trace_id)) paid |= l.find(order_id) != std::string::npos;
  for (const auto& l : Grep("payment", trace_id))
    authorized |= l.find("authorized") != std::string::npos;
  EXPECT_TRUE(access);
  EXPECT_TRUE(paid);
  EXPECT_TRUE(authorized);
  // The order's request id travels too: the same lines carry one request id per service hop.
  json gw = json::parse(Grep("gateway", trace_id).back());
  EXPECT_EQ(gw["request_id"], r.Header("x-request-id"));
}

TEST_F(TraceE2eTest, RequestsWithoutAValidTraceparentStartANewTrace) {
  for (const std::string& tp : {std::string(""), std::string("00-not-a-trace-01"),
                                "00-" + std::string(32, '0') + "-" + RandomHex(8) + "-01"}) {
    std::map<std::string, std::string> headers;
    if (!tp.empty()) headers["traceparent"] = tp;
    HttpResult r = Call(port(), "GET", "/api/v1/categories", "", headers);
    ASSERT_EQ(r.status, 200);
    const std::string id = r.Header("x-trace-id");
    EXPECT_EQ(id.size(), 32u) << tp;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_NE(id, std::string(32, '0'));
    EXPECT_FALSE(Grep("gateway", id).empty());
  }
}

TEST_F(TraceE2eTest, EveryLogLineIsJsonWithATraceIdField) {
  for (const char* service : {"gateway", "catalog", "cart", "user", "checkout", "payment"}) {
    int lines = 0;
    for (absl::string_view line : absl::StrSplit(suite_->process(service).ReadLog(), '\n')) {
      if (line.empty()) continue;
      json parsed = json::parse(line, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << service << ": " << line;
      EXPECT_TRUE(parsed.contains("trace_id")) << service << ": " << line;
      EXPECT_TRUE(parsed.contains("request_id")) << service << ": " << line;
      ++lines;
    }
    EXPECT_GT(lines, 0) << service;
  }
}

}  // namespace
}  // namespace mercato::testing
