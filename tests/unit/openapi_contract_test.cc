// The API contract (docs/openapi.yaml, compiled into the gateway) against the gateway's router:
// every route the GatewayService registers is an operation of the spec and every operation of
// the spec is a route, with the same path template; the spec's security matches each route's
// AuthPolicy; GET /api/v1/openapi.json serves the spec.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "commerce/address.h"
#include "gateway/gateway_service.h"
#include "gateway/openapi.h"
#include "support/identity.h"

namespace mercato::gateway {
namespace {

using Json = nlohmann::json;

constexpr const char* kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch"};

class OpenApiContractTest : public ::testing::Test {
 protected:
  OpenApiContractTest() : metrics_("gateway-openapi-test") {
    config_.identity.service_key = testing::TestKey("gateway");
    config_.identity.access_token_key =
        testing::TestKey(testing::kAccessTokenKeyName).verifying_key();
    config_.cart_cookie_key = std::string(40, 'k');
    // No backend is called: the routes are only registered.
    service_ =
        std::make_unique<GatewayService>(config_, backends_, *StaticFiles::Load(""), metrics_);
    spec_ = Json::parse(OpenApiJson());
  }

  // "GET /api/v1/products/{id}" for every route of the router.
  std::set<std::string> RouterOperations() const {
    std::set<std::string> out;
    for (const Route& route : service_->router().routes()) {
      out.insert(std::string(http::to_string(route.method)) + " " + route.pattern);
    }
    return out;
  }
  // The same for every operation of the spec.
  std::set<std::string> SpecOperations() const {
    std::set<std::string> out;
    for (const auto& [path, item] : spec_["paths"].items()) {
      for (const char* method : kMethods) {
        if (item.contains(method)) out.insert(absl::AsciiStrToUpper(method) + " " + path);
      }
    }
    return out;
  }
  const Json& Operation(const Route& route) const {
    return spec_["paths"][route.pattern]
                [absl::AsciiStrToLower(std::string(http::to_string(route.method)))];
  }

  GatewayConfig config_;
  Backends backends_;
  Metrics metrics_;
  std::unique_ptr<GatewayService> service_;
  Json spec_;
};

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

TEST_F(OpenApiContractTest, EveryRouteIsInTheSpecAndEveryOperationIsARoute) {
  const auto routes = RouterOperations();
  const auto operations = SpecOperations();
  // 30 routes today; a sanity floor so that an empty router or spec cannot pass.
  EXPECT_GE(routes.size(), 30u);
  EXPECT_EQ(Minus(routes, operations), std::vector<std::string>{})
      << "routes of the gateway missing from docs/openapi.yaml: "
      << absl::StrJoin(Minus(routes, operations), ", ");
  EXPECT_EQ(Minus(operations, routes), std::vector<std::string>{})
      << "operations of docs/openapi.yaml that the gateway does not route: "
      << absl::StrJoin(Minus(operations, routes), ", ");
}

TEST_F(OpenApiContractTest, SpecSecurityMatchesEachRoutesAuthPolicy) {
  ASSERT_EQ(spec_["security"], Json::array()) << "operations are public unless they say so";
  const Json bearer = Json::array({{{"bearerAuth", Json::array()}}});
  for (const Route& route : service_->router().routes()) {
    const Json& operation = Operation(route);
    if (operation.is_null()) continue;  // reported by the test above
    const std::string name = std::string(http::to_string(route.method)) + " " + route.pattern;
    const Json security = operation.value("security", Json::array());
    switch (route.auth) {
      case AuthPolicy::kNone:
        EXPECT_EQ(security, Json::array()) << name << " reads no token";
        break;
      case AuthPolicy::kRequired:
        EXPECT_EQ(security, bearer) << name << " needs a bearer token";
        EXPECT_TRUE(operation["responses"].contains("401")) << name << " answers 401";
        break;
      case AuthPolicy::kOptional:
        // A token, else the guest cart cookie, else nothing.
        EXPECT_EQ(security, Json::parse(R"([{"bearerAuth":[]},{"cartCookie":[]},{}])")) << name;
        EXPECT_TRUE(operation["responses"].contains("401"))
            << name << " answers 401 to a bad token";
        break;
    }
  }
}

TEST_F(OpenApiContractTest, EveryErrorResponseHasTheErrorShape) {
  const std::string error_ref = "#/components/schemas/Error";
  const Json& shared = spec_["components"]["responses"];
  for (const auto& [path, item] : spec_["paths"].items()) {
    for (const char* method : kMethods) {
      if (!item.contains(method)) continue;
      for (const auto& [status, response] : item[method]["responses"].items()) {
        if (status < "400") continue;
        // /readyz answers 503 with its readiness body, not an error.
        if (path.rfind("/readyz", 0) == 0 && status == "503") continue;
        const Json& resolved = response.contains("$ref")
                                   ? shared[response["$ref"].get<std::string>().substr(
                                         strlen("#/components/responses/"))]
                                   : response;
        EXPECT_EQ(resolved["content"]["application/json"]["schema"]["$ref"], error_ref)
            << method << " " << path << " " << status;
      }
    }
  }
}

// The spec lists the country codes an address may have; they are exactly the ones the address
// rule (commerce/address.h) accepts.
TEST_F(OpenApiContractTest, CountryEnumIsTheAddressRulesList) {
  const Json& countries =
      spec_["components"]["schemas"]["ShippingAddress"]["properties"]["country"]["enum"];
  std::set<std::string> in_spec;
  for (const Json& c : countries) in_spec.insert(c.get<std::string>());
  std::set<std::string> accepted;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      const std::string code{a, b};
      if (IsIsoCountryCode(code)) accepted.insert(code);
    }
  }
  EXPECT_EQ(accepted.size(), 249u);
  EXPECT_EQ(in_spec, accepted);
}

TEST_F(OpenApiContractTest, TheGatewayServesTheSpec) {
  auto match = service_->router().Find(http::verb::get, SplitPath("/api/v1/openapi.json"));
  ASSERT_EQ(match.kind, Router::Match::kFound);
  EXPECT_EQ(match.route->auth, AuthPolicy::kNone);
  HttpResponse response = match.route->handler(HttpRequest{});
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(Json::parse(response.body), spec_);
  EXPECT_EQ(spec_["openapi"], "3.1.0");
}

}  // namespace
}  // namespace mercato::gateway
