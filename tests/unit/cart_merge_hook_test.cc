// Unit tests of MergeGuestCartAfterSignIn, the gateway hook the sign-in route calls: a gMock
// cart stub stands in for the cart service.
#include <gmock/gmock.h>
#include <grpcpp/test/client_context_test_peer.h>
#include <gtest/gtest.h>

#include <optional>

#include "common/call_context.h"
#include "common/ids.h"
#include "gateway/cart_cookie.h"
#include "gateway/routes.h"
#include "support/mock_async.h"

namespace mercato::gateway {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;

constexpr char kUserId[] = "5b0e9d2a-6a53-4b8e-9d0e-2f1c3a4b5c6d";
constexpr char kCleared[] = "mercato_cart=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax";
constexpr char kKey[] = "unit-test-cart-cookie-key-0123456789abcdef";
// Stands for the access token the sign-in just returned (its content does not matter here).
const Identity kSignedIn{
    .user_id = kUserId, .role = "customer", .access_token = "new.access.token"};

class MergeHookTest : public ::testing::Test {
 protected:
  MergeHookTest() {
    auto stub = std::make_unique<testing::CartStubWithAsync>();
    cart_ = stub.get();
    backends_.cart = std::move(stub);
    config_.cart_cookie_key = kKey;
  }

  // A cookie value the gateway would have issued for `cart_id`.
  static std::string Signed(const std::string& cart_id) { return SignGuestCartId(kKey, cart_id); }

  HttpRequest RequestWithCookie(const std::string& cookie) {
    HttpRequest request;
    request.method = http::verb::post;
    request.path = "/api/v1/sessions";
    if (!cookie.empty()) request.headers.insert(http::field::cookie, cookie);
    return request;
  }

  // Runs the hook on `response` and returns what it answers with (the stub answers on the
  // calling thread, so the answer is here when the hook returns).
  HttpResponse Merge(const HttpRequest& request, HttpResponse response = {}) {
    std::optional<HttpResponse> answered;
    MergeGuestCartAfterSignIn(backends_, config_, request, kSignedIn, std::move(response),
                              [&](HttpResponse r) { answered = std::move(r); });
    EXPECT_TRUE(answered.has_value());
    return answered.value_or(HttpResponse{});
  }

  std::vector<std::string> SetCookies(const HttpResponse& response) {
    std::vector<std::string> out;
    for (const auto& [name, value] : response.headers) {
      if (name == "Set-Cookie") out.push_back(value);
    }
    return out;
  }

  Backends backends_;
  testing::CartStubWithAsync* cart_ = nullptr;
  GatewayConfig config_;
};

TEST_F(MergeHookTest, WithoutCartCookieNothingHappens) {
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _)).Times(0);
  HttpResponse response = Merge(RequestWithCookie("other=1"));
  EXPECT_TRUE(SetCookies(response).empty());
}

TEST_F(MergeHookTest, MalformedCartCookieIsClearedWithoutACall) {
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _)).Times(0);
  HttpResponse response = Merge(RequestWithCookie("mercato_cart=forged"));
  EXPECT_EQ(SetCookies(response), std::vector<std::string>{kCleared});
}

// Issue 15, defect 10: a well-formed cart id that the gateway did not sign (chosen by someone
// else, signed with another key, or with its signature altered) is never merged.
TEST_F(MergeHookTest, UnsignedOrForeignCartCookieIsClearedWithoutACall) {
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _)).Times(0);
  const std::string id = NewGuestCartId();
  std::string altered = Signed(id);
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  for (const std::string& value :
       {id, SignGuestCartId("another-key-another-key-another-key", id), altered}) {
    HttpResponse response = Merge(RequestWithCookie("mercato_cart=" + value));
    EXPECT_EQ(SetCookies(response), std::vector<std::string>{kCleared}) << value;
  }
}

TEST_F(MergeHookTest, MergesAsTheSignedInUserAndClearsTheCookie) {
  const std::string guest_id = RandomToken(32);
  std::multimap<std::string, std::string> metadata;
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _))
      .WillOnce(Invoke([&](grpc::ClientContext* ctx, const cart::v1::MergeGuestCartRequest& req,
                           cart::v1::Cart*) {
        EXPECT_EQ(req.guest_cart_id(), guest_id);
        metadata = grpc::testing::ClientContextTestPeer(ctx).GetSendInitialMetadata();
        return grpc::Status::OK;
      }));
  ScopedCallContext anonymous(CallContext{.request_id = "req-1"});
  HttpResponse response = Merge(RequestWithCookie("a=1; mercato_cart=" + Signed(guest_id)));
  EXPECT_EQ(SetCookies(response), std::vector<std::string>{kCleared});
  // The cart service verifies the new access token itself; no identity travels otherwise.
  auto token = metadata.find(kAuthorizationKey);
  ASSERT_NE(token, metadata.end());
  EXPECT_EQ(token->second, "Bearer new.access.token");
  EXPECT_EQ(metadata.count("x-mercato-user-id"), 0u);
  EXPECT_EQ(metadata.count("x-mercato-user-role"), 0u);
  EXPECT_EQ(metadata.count(kOnBehalfOfKey), 0u);
  auto request_id = metadata.find(kRequestIdKey);
  ASSERT_NE(request_id, metadata.end());
  EXPECT_EQ(request_id->second, "req-1");
  // The request's own context is back afterwards.
  EXPECT_EQ(CurrentCall().user_id, "");
  EXPECT_EQ(CurrentCall().request_id, "req-1");
}

TEST_F(MergeHookTest, SecureCookieBehindTls) {
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _)).WillOnce(Return(grpc::Status::OK));
  HttpRequest request = RequestWithCookie("mercato_cart=" + Signed(RandomToken(32)));
  request.headers.insert("X-Forwarded-Proto", "https");
  HttpResponse response = Merge(request);
  EXPECT_EQ(SetCookies(response), std::vector<std::string>{std::string(kCleared) + "; Secure"});
}

TEST_F(MergeHookTest, FailedMergeKeepsTheCookieForTheNextSignIn) {
  EXPECT_CALL(*cart_, MergeGuestCart(_, _, _))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis down")));
  HttpResponse signed_in;
  signed_in.status = 200;
  HttpResponse response =
      Merge(RequestWithCookie("mercato_cart=" + Signed(RandomToken(32))), signed_in);
  EXPECT_TRUE(SetCookies(response).empty());
  EXPECT_EQ(response.status, 200u);
}

}  // namespace
}  // namespace mercato::gateway
