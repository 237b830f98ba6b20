// Account routes: registration, sessions, profile and addresses. Thin: each handler checks
// the JSON shape, calls the user service and renders its answer; the rules (password policy,
// ownership, brute-force limits) live in the user service.
#include <spdlog/spdlog.h>

#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/call_context.h"
#include "common/logging.h"
#include "common/status.h"
#include "gateway/json_codec.h"
#include "gateway/json_fields.h"
#include "gateway/routes.h"
#include "rpc/call.h"

namespace mercato::gateway {
namespace {

using UserStub = user::v1::UserService::StubInterface;

// One blocking call to the user service with the ordinary deadline.
template <typename Method, typename Request>
auto CallUser(Backends& backends, const GatewayConfig& config, Method method,
              const Request& request) {
  return CallUnary(*backends.user, method, request, config.rpc_timeout);
}

const char* RoleName(user::v1::Role role) {
  return role == user::v1::ROLE_ADMIN ? "admin" : "customer";
}

Json UserJson(const user::v1::User& u) {
  Json out = Json::object();
  out["id"] = u.id();
  out["email"] = u.email();
  out["name"] = u.name();
  out["role"] = RoleName(u.role());
  out["created_at"] = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(u.created_at_unix_ms()), absl::UTCTimeZone());
  return out;
}

// Tokens must not be cached by anything between the shopper and us (RFC 6749 section 5.1).
HttpResponse SessionResponse(const user::v1::Session& s) {
  Json out = Json::object();
  out["access_token"] = s.access_token();
  out["token_type"] = "Bearer";
  out["expires_in"] = s.expires_in_seconds();
  out["refresh_token"] = s.refresh_token();
  out["user"] = UserJson(s.user());
  HttpResponse response = JsonResponse(200, out);
  response.Header("Cache-Control", "no-store");
  return response;
}

HttpResponse NoContent() {
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

// The address in a POST / PUT body.
absl::StatusOr<common::v1::Address> ParseAddress(const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return body.status();
  return AddressFromJson(*body, "", Presence::kRequired, /*allow_id=*/true);
}

HttpResponse Register(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (absl::Status s = OnlyFields(*body, "", {"email", "password", "name"}); !s.ok()) {
    return ErrorResponse(s);
  }
  auto email = StringField(*body, "email", "email", Presence::kRequired);
  if (!email.ok()) return ErrorResponse(email.status());
  auto password = StringField(*body, "password", "password", Presence::kRequired);
  if (!password.ok()) return ErrorResponse(password.status());
  auto name = StringField(*body, "name", "name", Presence::kRequired);
  if (!name.ok()) return ErrorResponse(name.status());
  user::v1::RegisterRequest rpc;
  rpc.set_email(*std::move(email));
  rpc.set_password(*std::move(password));
  rpc.set_name(*std::move(name));
  auto created = CallUser(backends, config, &UserStub::Register, rpc);
  if (!created.ok()) return ErrorResponse(created.status());
  HttpResponse response = JsonResponse(201, UserJson(*created));
  response.Header("Location", "/api/v1/me");
  return response;
}

HttpResponse Login(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (absl::Status s = OnlyFields(*body, "", {"email", "password"}); !s.ok())
    return ErrorResponse(s);
  auto email = StringField(*body, "email", "email", Presence::kRequired);
  if (!email.ok()) return ErrorResponse(email.status());
  auto password = StringField(*body, "password", "password", Presence::kRequired);
  if (!password.ok()) return ErrorResponse(password.status());
  user::v1::LoginRequest rpc;
  rpc.set_email(*std::move(email));
  rpc.set_password(*std::move(password));
  // The peer address, for the user service's per-address brute-force limit.
  rpc.set_client_address(request.client_address);
  auto session = CallUser(backends, config, &UserStub::Login, rpc);
  if (!session.ok()) return ErrorResponse(session.status());

  HttpResponse response = SessionResponse(*session);
  // The hook calls the cart service with the access token just issued.
  const Identity signed_in{.user_id = session->user().id(),
                           .role = RoleName(session->user().role()),
                           .access_token = session->access_token()};
  try {
    MergeGuestCartAfterSignIn(backends, config, request, signed_in, response);
  } catch (const std::exception& e) {
    // Best effort: the sign-in stands even if the guest cart could not be merged.
    spdlog::error("merging the guest cart failed: {}", e.what());
  }
  return response;
}

// The refresh token of a sessions/refresh or DELETE sessions body.
absl::StatusOr<std::string> RefreshTokenOf(const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return body.status();
  if (absl::Status s = OnlyFields(*body, "", {"refresh_token"}); !s.ok()) return s;
  return StringField(*body, "refresh_token", "refresh_token", Presence::kRequired);
}

HttpResponse Refresh(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto token = RefreshTokenOf(request);
  if (!token.ok()) return ErrorResponse(token.status());
  user::v1::RefreshSessionRequest rpc;
  rpc.set_refresh_token(*std::move(token));
  auto session = CallUser(backends, config, &UserStub::RefreshSession, rpc);
  if (!session.ok()) return ErrorResponse(session.status());
  return SessionResponse(*session);
}

HttpResponse Logout(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto token = RefreshTokenOf(request);
  if (!token.ok()) return ErrorResponse(token.status());
  user::v1::LogoutRequest rpc;
  rpc.set_refresh_token(*std::move(token));
  auto reply = CallUser(backends, config, &UserStub::Logout, rpc);
  if (!reply.ok()) return ErrorResponse(reply.status());
  return NoContent();
}

HttpResponse GetMe(Backends& backends, const GatewayConfig& config, const HttpRequest&) {
  user::v1::GetMeRequest rpc;
  auto me = CallUser(backends, config, &UserStub::GetMe, rpc);
  if (!me.ok()) return ErrorResponse(me.status());
  return JsonResponse(200, UserJson(*me));
}

HttpResponse UpdateMe(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (absl::Status s = OnlyFields(*body, "", {"name"}); !s.ok()) return ErrorResponse(s);
  auto name = StringField(*body, "name", "name", Presence::kRequired);
  if (!name.ok()) return ErrorResponse(name.status());
  user::v1::UpdateMeRequest rpc;
  rpc.set_name(*std::move(name));
  auto me = CallUser(backends, config, &UserStub::UpdateMe, rpc);
  if (!me.ok()) return ErrorResponse(me.status());
  return JsonResponse(200, UserJson(*me));
}

HttpResponse ListAddresses(Backends& backends, const GatewayConfig& config, const HttpRequest&) {
  user::v1::ListAddressesRequest rpc;
  auto reply = CallUser(backends, config, &UserStub::ListAddresses, rpc);
  if (!reply.ok()) return ErrorResponse(reply.status());
  Json out = Json::object();
  Json& addresses = out["addresses"] = Json::array();
  for (const auto& a : reply->addresses()) addresses.push_back(AddressJson(a));
  return JsonResponse(200, out);
}

HttpResponse CreateAddress(Backends& backends, const GatewayConfig& config,
                           const HttpRequest& request) {
  auto address = ParseAddress(request);
  if (!address.ok()) return ErrorResponse(address.status());
  user::v1::CreateAddressRequest rpc;
  *rpc.mutable_address() = *std::move(address);
  rpc.mutable_address()->clear_id();  // the service assigns it
  auto created = CallUser(backends, config, &UserStub::CreateAddress, rpc);
  if (!created.ok()) return ErrorResponse(created.status());
  HttpResponse response = JsonResponse(201, AddressJson(*created));
  response.Header("Location", absl::StrCat("/api/v1/me/addresses/", created->id()));
  return response;
}

HttpResponse GetAddress(Backends& backends, const GatewayConfig& config,
                        const HttpRequest& request) {
  user::v1::GetAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  auto address = CallUser(backends, config, &UserStub::GetAddress, rpc);
  if (!address.ok()) return ErrorResponse(address.status());
  return JsonResponse(200, AddressJson(*address));
}

HttpResponse UpdateAddress(Backends& backends, const GatewayConfig& config,
                           const HttpRequest& request) {
  auto address = ParseAddress(request);
  if (!address.ok()) return ErrorResponse(address.status());
  const std::string& id = request.Param("id");
  if (!address->id().empty() && address->id() != id) {
    return ErrorResponse(ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_field",
                                       "'id' does not match the address in the path"));
  }
  user::v1::UpdateAddressRequest rpc;
  *rpc.mutable_address() = *std::move(address);
  rpc.mutable_address()->set_id(id);
  auto updated = CallUser(backends, config, &UserStub::UpdateAddress, rpc);
  if (!updated.ok()) return ErrorResponse(updated.status());
  return JsonResponse(200, AddressJson(*updated));
}

HttpResponse DeleteAddress(Backends& backends, const GatewayConfig& config,
                           const HttpRequest& request) {
  user::v1::DeleteAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  auto reply = CallUser(backends, config, &UserStub::DeleteAddress, rpc);
  if (!reply.ok()) return ErrorResponse(reply.status());
  return NoContent();
}

}  // namespace

void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  using Fn = HttpResponse (*)(Backends&, const GatewayConfig&, const HttpRequest&);
  auto add = [&](http::verb method, const char* pattern, Fn fn, RouteOptions options) {
    router.Add(
        method, pattern,
        [&backends, &config, fn](const HttpRequest& r) { return fn(backends, config, r); },
        std::move(options));
  };
  const RouteOptions anonymous{.auth = AuthPolicy::kNone};
  const RouteOptions sign_in{.auth = AuthPolicy::kNone, .limits = {RouteLimit::kSignIn}};
  const RouteOptions signed_in{.auth = AuthPolicy::kRequired};
  add(http::verb::post, "/api/v1/users", Register, sign_in);
  add(http::verb::post, "/api/v1/sessions", Login, sign_in);
  add(http::verb::post, "/api/v1/sessions/refresh", Refresh, anonymous);
  add(http::verb::delete_, "/api/v1/sessions", Logout, anonymous);
  add(http::verb::get, "/api/v1/me", GetMe, signed_in);
  add(http::verb::patch, "/api/v1/me", UpdateMe, signed_in);
  add(http::verb::get, "/api/v1/me/addresses", ListAddresses, signed_in);
  add(http::verb::post, "/api/v1/me/addresses", CreateAddress, signed_in);
  add(http::verb::get, "/api/v1/me/addresses/{id}", GetAddress, signed_in);
  add(http::verb::put, "/api/v1/me/addresses/{id}", UpdateAddress, signed_in);
  add(http::verb::delete_, "/api/v1/me/addresses/{id}", DeleteAddress, signed_in);
}

}  // namespace mercato::gateway
