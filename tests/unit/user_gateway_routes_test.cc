// The gateway's account routes over a gMock user stub: which routes need a token, what the
// handlers send to the user service (the peer address for the brute-force limits), and how
// its answers become HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/status.h"
#include "gateway/routes.h"
#include "rpc/status_conversion.h"
#include "support/mock_async.h"
#include "support/route_call.h"

namespace mercato::gateway {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::SaveArg;
using ::testing::SetArgPointee;

class AccountRoutesTest : public ::testing::Test {
 protected:
  AccountRoutesTest() {
    auto user = std::make_unique<NiceMock<testing::UserStubWithAsync>>();
    user_ = user.get();
    backends_.user = std::move(user);
    backends_.cart = std::make_unique<NiceMock<testing::CartStubWithAsync>>();
    RegisterAccountRoutes(router_, backends_, config_);
  }

  const Route& RouteFor(http::verb method, const std::string& path) {
    auto match = router_.Find(method, SplitPath(path));
    EXPECT_EQ(match.kind, Router::Match::kFound) << path;
    return *match.route;
  }
  HttpResponse Call(http::verb method, const std::string& path, const std::string& body) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.client_address = "198.51.100.7";
    // The stubs answer on the calling thread: the response is here when the handler returns.
    return testing::CallRoute(router_, std::move(request));
  }

  GatewayConfig config_;
  Backends backends_;
  Router router_;
  user::v1::MockUserServiceStub* user_ = nullptr;
};

TEST_F(AccountRoutesTest, OnlyTheAccountRoutesOfOneUserNeedAToken) {
  EXPECT_EQ(RouteFor(http::verb::post, "/api/v1/users").auth, AuthPolicy::kNone);
  EXPECT_EQ(RouteFor(http::verb::post, "/api/v1/sessions").auth, AuthPolicy::kNone);
  EXPECT_EQ(RouteFor(http::verb::post, "/api/v1/sessions/refresh").auth, AuthPolicy::kNone);
  EXPECT_EQ(RouteFor(http::verb::delete_, "/api/v1/sessions").auth, AuthPolicy::kNone);
  for (auto [method, path] : std::vector<std::pair<http::verb, std::string>>{
           {http::verb::get, "/api/v1/me"},
           {http::verb::patch, "/api/v1/me"},
           {http::verb::get, "/api/v1/me/addresses"},
           {http::verb::post, "/api/v1/me/addresses"},
           {http::verb::get, "/api/v1/me/addresses/x"},
           {http::verb::put, "/api/v1/me/addresses/x"},
           {http::verb::delete_, "/api/v1/me/addresses/x"}}) {
    EXPECT_EQ(RouteFor(method, path).auth, AuthPolicy::kRequired) << path;
  }
}

TEST_F(AccountRoutesTest, LoginSendsThePeerAddressAndRendersTheSession) {
  user::v1::LoginRequest sent;
  user::v1::Session session;
  session.set_access_token("header.payload.signature");
  session.set_refresh_token("opaque-refresh");
  session.set_expires_in_seconds(900);
  session.mutable_user()->set_id("3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13");
  session.mutable_user()->set_role(user::v1::ROLE_ADMIN);
  EXPECT_CALL(*user_, Login(_, _, _))
      .WillOnce(DoAll(SaveArg<1>(&sent), SetArgPointee<2>(session), Return(grpc::Status::OK)));
  HttpResponse r = Call(http::verb::post, "/api/v1/sessions",
                        R"({"email": "Ann@Example.com", "password": "pw pw pw pw"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(sent.email(), "Ann@Example.com");
  EXPECT_EQ(sent.password(), "pw pw pw pw");
  EXPECT_EQ(sent.client_address(), "198.51.100.7");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["access_token"], "header.payload.signature");
  EXPECT_EQ(body["refresh_token"], "opaque-refresh");
  EXPECT_EQ(body["expires_in"], 900);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["user"]["role"], "admin");
  EXPECT_NE(std::find(r.headers.begin(), r.headers.end(),
                      std::pair<std::string, std::string>{"Cache-Control", "no-store"}),
            r.headers.end());
}

TEST_F(AccountRoutesTest, UserServiceErrorsBecomeTheirHttpStatus) {
  EXPECT_CALL(*user_, Login(_, _, _))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(
          absl::StatusCode::kUnauthenticated, "invalid_credentials", "wrong email or password"))))
      .WillOnce(Return(ToGrpcStatus(ErrorWithCode(absl::StatusCode::kResourceExhausted,
                                                  "too_many_attempts", "slow down", 7))));
  const std::string body = R"({"email": "a@example.com", "password": "whatever pw"})";
  HttpResponse wrong = Call(http::verb::post, "/api/v1/sessions", body);
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(nlohmann::json::parse(wrong.body)["error"]["code"], "invalid_credentials");
  HttpResponse locked = Call(http::verb::post, "/api/v1/sessions", body);
  EXPECT_EQ(locked.status, 429u);
  EXPECT_EQ(nlohmann::json::parse(locked.body)["error"]["code"], "too_many_attempts");
  EXPECT_NE(std::find(locked.headers.begin(), locked.headers.end(),
                      std::pair<std::string, std::string>{"Retry-After", "7"}),
            locked.headers.end());
}

TEST_F(AccountRoutesTest, BadBodiesNeverReachTheUserService) {
  EXPECT_CALL(*user_, Register(_, _, _)).Times(0);
  EXPECT_CALL(*user_, CreateAddress(_, _, _)).Times(0);
  EXPECT_EQ(Call(http::verb::post, "/api/v1/users", "{").status, 400u);
  EXPECT_EQ(Call(http::verb::post, "/api/v1/users", R"({"email": [], "password": "", "name": ""})")
                .status,
            400u);
  EXPECT_EQ(Call(http::verb::post, "/api/v1/me/addresses", R"({"country": true})").status, 400u);
}

TEST_F(AccountRoutesTest, AddressIdComesFromThePath) {
  user::v1::UpdateAddressRequest sent;
  EXPECT_CALL(*user_, UpdateAddress(_, _, _))
      .WillOnce(DoAll(SaveArg<1>(&sent), Return(grpc::Status::OK)));
  HttpResponse r = Call(http::verb::put, "/api/v1/me/addresses/abc",
                        R"({"name": "A", "line1": "B", "city": "C", "country": "DE"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(sent.address().id(), "abc");
  EXPECT_EQ(sent.address().line2(), "");
  HttpResponse mismatch =
      Call(http::verb::put, "/api/v1/me/addresses/abc",
           R"({"id": "def", "name": "A", "line1": "B", "city": "C", "country": "DE"})");
  EXPECT_EQ(mismatch.status, 400u);
}

}  // namespace
}  // namespace mercato::gateway
