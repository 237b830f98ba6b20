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
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato::gateway {
namespace {

using user::v1::UserService;

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
  user::v1::User created;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->Register(ctx.get(), rpc, &created));
  if (!status.ok()) return ErrorResponse(status);
  HttpResponse response = JsonResponse(201, UserJson(created));
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
  user::v1::Session session;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->Login(ctx.get(), rpc, &session));
  if (!status.ok()) return ErrorResponse(status);

  HttpResponse response = SessionResponse(session);
  // The hook calls the cart service with the access token just issued.
  const Identity signed_in{.user_id = session.user().id(),
                           .role = RoleName(session.user().role()),
                           .access_token = session.access_token()};
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
  user::v1::Session session;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->RefreshSession(ctx.get(), rpc, &session));
  if (!status.ok()) return ErrorResponse(status);
  return SessionResponse(session);
}

HttpResponse Logout(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto token = RefreshTokenOf(request);
  if (!token.ok()) return ErrorResponse(token.status());
  user::v1::LogoutRequest rpc;
  rpc.set_refresh_token(*std::move(token));
  user::v1::LogoutResponse reply;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->Logout(ctx.get(), rpc, &reply));
  if (!status.ok()) return ErrorResponse(status);
  return NoContent();
}

HttpResponse GetMe(Backends& backends, const GatewayConfig& config, const HttpRequest&) {
  user::v1::GetMeRequest rpc;
  user::v1::User me;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->GetMe(ctx.get(), rpc, &me));
  if (!status.ok()) return ErrorResponse(status);
  return JsonResponse(200, UserJson(me));
}

HttpResponse UpdateMe(Backends& backends, const GatewayConfig& config, const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (absl::Status s = OnlyFields(*body, "", {"name"}); !s.ok()) return ErrorResponse(s);
  auto name = StringField(*body, "name", "name", Presence::kRequired);
  if (!name.ok()) return ErrorResponse(name.status());
  user::v1::UpdateMeRequest rpc;
  rpc.set_name(*std::move(name));
  user::v1::User me;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->UpdateMe(ctx.get(), rpc, &me));
  if (!status.ok()) return ErrorResponse(status);
  return JsonResponse(200, UserJson(me));
}

HttpResponse ListAddresses(Backends& backends, const GatewayConfig& config, const HttpRequest&) {
  user::v1::ListAddressesRequest rpc;
  user::v1::ListAddressesResponse reply;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->ListAddresses(ctx.get(), rpc, &reply));
  if (!status.ok()) return ErrorResponse(status);
  Json out = Json::object();
  Json& addresses = out["addresses"] = Json::array();
  for (const auto& a : reply.addresses()) addresses.push_back(AddressJson(a));
  return JsonResponse(200, out);
}

HttpResponse CreateAddress(Backends& backends, const GatewayConfig& config,
                           const HttpRequest& request) {
  auto address = ParseAddress(request);
  if (!address.ok()) return ErrorResponse(address.status());
  user::v1::CreateAddressRequest rpc;
  *rpc.mutable_address() = *std::move(address);
  rpc.mutable_address()->clear_id();  // the service assigns it
  common::v1::Address created;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->CreateAddress(ctx.get(), rpc, &created));
  if (!status.ok()) return ErrorResponse(status);
  HttpResponse response = JsonResponse(201, AddressJson(created));
  response.Header("Location", absl::StrCat("/api/v1/me/addresses/", created.id()));
  return response;
}

HttpResponse GetAddress(Backends& backends, const GatewayConfig& config,
                        const HttpRequest& request) {
  user::v1::GetAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  common::v1::Address address;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->GetAddress(ctx.get(), rpc, &address));
  if (!status.ok()) return ErrorResponse(status);
  return JsonResponse(200, AddressJson(address));
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
  common::v1::Address updated;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->UpdateAddress(ctx.get(), rpc, &updated));
  if (!status.ok()) return ErrorResponse(status);
  return JsonResponse(200, AddressJson(updated));
}

HttpResponse DeleteAddress(Backends& backends, const GatewayConfig& config,
                           const HttpRequest& request) {
  user::v1::DeleteAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  user::v1::DeleteAddressResponse reply;
  auto ctx = NewClientContext(config.rpc_timeout);
  absl::Status status = FromGrpcStatus(backends.user->DeleteAddress(ctx.get(), rpc, &reply));
  if (!status.ok()) return ErrorResponse(status);
  return NoContent();
}

}  // namespace

void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  using Fn = HttpResponse (*)(Backends&, const GatewayConfig&, const HttpRequest&);
  auto add = [&](http::verb method, const char* pattern, Fn fn, AuthPolicy auth) {
    router.Add(
        method, pattern,
        [&backends, &config, fn](const HttpRequest& r) { return fn(backends, config, r); }, auth);
  };
  add(http::verb::post, "/api/v1/users", Register, AuthPolicy::kNone);
  add(http::verb::post, "/api/v1/sessions", Login, AuthPolicy::kNone);
  add(http::verb::post, "/api/v1/sessions/refresh", Refresh, AuthPolicy::kNone);
  add(http::verb::delete_, "/api/v1/sessions", Logout, AuthPolicy::kNone);
  add(http::verb::get, "/api/v1/me", GetMe, AuthPolicy::kRequired);
  add(http::verb::patch, "/api/v1/me", UpdateMe, AuthPolicy::kRequired);
  add(http::verb::get, "/api/v1/me/addresses", ListAddresses, AuthPolicy::kRequired);
  add(http::verb::post, "/api/v1/me/addresses", CreateAddress, AuthPolicy::kRequired);
  add(http::verb::get, "/api/v1/me/addresses/{id}", GetAddress, AuthPolicy::kRequired);
  add(http::verb::put, "/api/v1/me/addresses/{id}", UpdateAddress, AuthPolicy::kRequired);
  add(http::verb::delete_, "/api/v1/me/addresses/{id}", DeleteAddress, AuthPolicy::kRequired);
}

}  // namespace mercato::gateway
