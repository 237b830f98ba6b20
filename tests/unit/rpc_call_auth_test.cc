// How an incoming call's metadata becomes its CallContext (libs/rpc/call_auth.h), the checks
// handlers make on it (rpc/handler.h), and what outgoing calls carry (rpc/client.h).
#include <grpcpp/test/client_context_test_peer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "rpc/call_auth.h"
#include "rpc/client.h"
#include "rpc/handler.h"
#include "support/identity.h"

namespace mercato {
namespace {

using Clock = std::chrono::system_clock;
using std::chrono::seconds;
using testing::TestKey;

const std::string kUserId = "3f1c9a2e-8d4b-4c1e-9a57-0b6e2d9f4c13";

// The claims of an access token as the user service issues them.
nlohmann::json AccessClaims(const std::string& user_id, const std::string& role) {
  const int64_t now = std::chrono::duration_cast<seconds>(Clock::now().time_since_epoch()).count();
  return {{"iss", "mercato"}, {"aud", "mercato-api"}, {"sub", user_id},     {"role", role},
          {"iat", now},       {"exp", now + 900},     {"jti", "a-token-id"}};
}

class CallAuthenticatorTest : public ::testing::Test {
 protected:
  CallAuthenticatorTest()
      : authenticator_(auth::ServiceTokenVerifier(
                           "catalog", {{"gateway", TestKey("gateway").verifying_key()},
                                       {"cart", TestKey("cart").verifying_key()},
                                       {"checkout", TestKey("checkout").verifying_key()}}),
                       auth::AccessTokenVerifier(
                           TestKey(testing::kAccessTokenKeyName).verifying_key(), seconds(30))) {}

  // Metadata as gRPC hands it to a server (string_refs into `storage_`).
  absl::Status Authenticate(const std::multimap<std::string, std::string>& metadata,
                            CallContext& call) {
    storage_ = metadata;
    GrpcMetadata md;
    for (const auto& [k, v] : storage_) md.emplace(grpc::string_ref(k), grpc::string_ref(v));
    return authenticator_.Authenticate(md, Clock::now(), call);
  }

  CallAuthenticator authenticator_;
  std::multimap<std::string, std::string> storage_;
};

TEST_F(CallAuthenticatorTest, NoServiceTokenIsUnauthenticatedWhateverElseIsSent) {
  CallContext call;
  absl::Status s = Authenticate({{"x-mercato-user-id", kUserId},
                                 {"x-mercato-user-role", "admin"},
                                 {kAuthorizationKey, "Bearer " + testing::AccessToken(kUserId)}},
                                call);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeOf(s), "service_token_required");
  EXPECT_EQ(call.user_id, "");
  // Two tokens are no token.
  s = Authenticate({{kServiceTokenKey, testing::ServiceToken("gateway", "catalog")},
                    {kServiceTokenKey, testing::ServiceToken("cart", "catalog")}},
                   call);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(CallAuthenticatorTest, ForgedIdentityMetadataIsIgnored) {
  CallContext call;
  ASSERT_TRUE(Authenticate({{kServiceTokenKey, testing::ServiceToken("gateway", "catalog")},
                            {"x-mercato-user-id", kUserId},
                            {"x-mercato-user-role", "admin"}},
                           call)
                  .ok());
  EXPECT_EQ(call.caller, "gateway");
  EXPECT_EQ(call.user_id, "");
  EXPECT_EQ(call.user_role, "");
}

TEST_F(CallAuthenticatorTest, AVerifiedAccessTokenNamesTheUser) {
  CallContext call;
  ASSERT_TRUE(
      Authenticate({{kServiceTokenKey, testing::ServiceToken("gateway", "catalog")},
                    {kAuthorizationKey, "Bearer " + testing::AccessToken(kUserId, "admin")}},
                   call)
          .ok());
  EXPECT_EQ(call.user_id, kUserId);
  EXPECT_EQ(call.user_role, "admin");
  EXPECT_EQ(call.access_token, "") << "backends never forward a shopper's token";

  // One signed by another key, or expired, names nobody.
  for (const std::string& bad :
       {testing::SignedToken(AccessClaims(kUserId, "admin"), "impostor"),
        testing::AccessToken(kUserId, "admin", Clock::now() - seconds(3600))}) {
    CallContext anonymous;
    ASSERT_TRUE(Authenticate({{kServiceTokenKey, testing::ServiceToken("gateway", "catalog")},
                              {kAuthorizationKey, "Bearer " + bad}},
                             anonymous)
                    .ok());
    EXPECT_EQ(anonymous.user_id, "");
  }
}

TEST_F(CallAuthenticatorTest, OnBehalfOfIsKeptAsTheCallersClaim) {
  CallContext call;
  ASSERT_TRUE(Authenticate({{kServiceTokenKey, testing::ServiceToken("checkout", "catalog")},
                            {kOnBehalfOfKey, kUserId}},
                           call)
                  .ok());
  EXPECT_EQ(call.caller, "checkout");
  EXPECT_EQ(call.on_behalf_of, kUserId);
  EXPECT_EQ(call.user_id, "");
  CallContext odd;
  ASSERT_TRUE(Authenticate({{kServiceTokenKey, testing::ServiceToken("checkout", "catalog")},
                            {kOnBehalfOfKey, "1 OR 1=1"}},
                           odd)
                  .ok());
  EXPECT_EQ(odd.on_behalf_of, "");
}

TEST(HandlerChecksTest, CallerUserAndAdmin) {
  {
    ScopedCallContext scope(CallContext{.caller = "cart"});
    EXPECT_TRUE(RequireCaller({"gateway", "cart"}).ok());
    EXPECT_EQ(RequireCaller({"checkout"}).code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(RequireSignedIn().status().code(), absl::StatusCode::kUnauthenticated);
  }
  {
    ScopedCallContext scope(
        CallContext{.caller = "gateway", .user_id = kUserId, .user_role = "customer"});
    EXPECT_EQ(*RequireSignedIn(), kUserId);
    EXPECT_EQ(RequireAdmin().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(UserActedFor({}), kUserId);
  }
  {
    ScopedCallContext scope(CallContext{.caller = "checkout", .on_behalf_of = kUserId});
    EXPECT_EQ(UserActedFor({"checkout"}), kUserId);
    EXPECT_EQ(UserActedFor({"gateway"}), "");
    // Acting for a user never makes one signed in.
    EXPECT_EQ(RequireSignedIn().status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(RequireAdmin().code(), absl::StatusCode::kUnauthenticated);
  }
  {
    ScopedCallContext scope(CallContext{.caller = "gateway", .on_behalf_of = kUserId});
    EXPECT_EQ(UserActedFor({"checkout"}), "");
  }
}

std::multimap<std::string, std::string> Sent(const CallContext& call) {
  ScopedCallContext scope(call);
  auto ctx = NewClientContext(std::chrono::milliseconds(100));
  return grpc::testing::ClientContextTestPeer(ctx.get()).GetSendInitialMetadata();
}

TEST(OutgoingIdentityTest, TheGatewayForwardsTheTokenAServiceNamesTheUser) {
  auto from_gateway = Sent(
      CallContext{.user_id = kUserId, .user_role = "admin", .access_token = "the.access.token"});
  EXPECT_EQ(from_gateway.find(kAuthorizationKey)->second, "Bearer the.access.token");
  EXPECT_EQ(from_gateway.count(kOnBehalfOfKey), 0u);

  auto from_checkout = Sent(CallContext{.caller = "gateway", .user_id = kUserId});
  EXPECT_EQ(from_checkout.count(kAuthorizationKey), 0u);
  EXPECT_EQ(from_checkout.find(kOnBehalfOfKey)->second, kUserId);

  for (const auto& sent : {from_gateway, from_checkout, Sent(CallContext{})}) {
    EXPECT_EQ(sent.count("x-mercato-user-id"), 0u);
    EXPECT_EQ(sent.count("x-mercato-user-role"), 0u);
  }
}

}  // namespace
}  // namespace mercato
