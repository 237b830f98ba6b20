// Account routes: registration, sessions, profile and addresses. Thin: each handler checks
// the JSON shape, calls the user service and renders its answer; the rules (password policy,
// ownership, brute-force limits) live in the user service.
#include <spdlog/spdlog.h>

#include <initializer_list>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/call_context.h"
#include "common/logging.h"
#include "common/status.h"
#include "gateway/backend_call.h"
#include "gateway/json_codec.h"
#include "gateway/json_fields.h"
#include "gateway/routes.h"
#include "rpc/call.h"

namespace mercato::gateway {
namespace {

using UserAsync = user::v1::UserService::StubInterface::async_interface;

// One asynchronous call to the user service with the ordinary deadline: answers with
// ok(reply), or with the HTTP form of its error.
template <typename Request, typename Response, typename Ok>
void CallUser(Backends& backends, const GatewayConfig& config,
              AsyncUnaryMethod<UserAsync, Request, Response> method,
              std::type_identity_t<Request> request, Ok ok, Respond respond) {
  CallBackend(
      backends.user->async(), method, std::move(request), config.rpc_timeout,
      [ok = std::move(ok)](const absl::StatusOr<Response>& reply) {
        return reply.ok() ? ok(*reply) : ErrorResponse(reply.status());
      },
      std::move(respond));
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

HttpResponse UserResponse(const user::v1::User& u) { return JsonResponse(200, UserJson(u)); }

HttpResponse AddressResponse(const common::v1::Address& a) {
  return JsonResponse(200, AddressJson(a));
}

void Register(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
              Respond respond) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  if (absl::Status s = OnlyFields(*body, "", {"email", "password", "name"}); !s.ok()) {
    return respond(ErrorResponse(s));
  }
  auto email = StringField(*body, "email", "email", Presence::kRequired);
  if (!email.ok()) return respond(ErrorResponse(email.status()));
  auto password = StringField(*body, "password", "password", Presence::kRequired);
  if (!password.ok()) return respond(ErrorResponse(password.status()));
  auto name = StringField(*body, "name", "name", Presence::kRequired);
  if (!name.ok()) return respond(ErrorResponse(name.status()));
  user::v1::RegisterRequest rpc;
  rpc.set_email(*std::move(email));
  rpc.set_password(*std::move(password));
  rpc.set_name(*std::move(name));
  CallUser(
      backends, config, &UserAsync::Register, std::move(rpc),
      [](const user::v1::User& created) {
        HttpResponse response = JsonResponse(201, UserJson(created));
        response.Header("Location", "/api/v1/me");
        return response;
      },
      std::move(respond));
}

// Answers a successful sign-in with its session, once the guest cart (if any) has been merged
// into the user's: the hook calls the cart service with the access token just issued.
void AnswerSignIn(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                  const user::v1::Session& session, Respond respond) {
  HttpResponse response = SessionResponse(session);
  const Identity signed_in{.user_id = session.user().id(),
                           .role = RoleName(session.user().role()),
                           .access_token = session.access_token()};
  try {
    MergeGuestCartAfterSignIn(backends, config, request, signed_in, response, respond);
    return;
  } catch (const std::exception& e) {
    // Best effort: the sign-in stands even if the guest cart could not be merged.
    spdlog::error("merging the guest cart failed: {}", e.what());
  }
  respond(std::move(response));
}

void Login(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
           Respond respond) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  if (absl::Status s = OnlyFields(*body, "", {"email", "password"}); !s.ok()) {
    return respond(ErrorResponse(s));
  }
  auto email = StringField(*body, "email", "email", Presence::kRequired);
  if (!email.ok()) return respond(ErrorResponse(email.status()));
  auto password = StringField(*body, "password", "password", Presence::kRequired);
  if (!password.ok()) return respond(ErrorResponse(password.status()));
  user::v1::LoginRequest rpc;
  rpc.set_email(*std::move(email));
  rpc.set_password(*std::move(password));
  // The peer address, for the user service's per-address brute-force limit.
  rpc.set_client_address(request.client_address);
  // `request` outlives the call: it stays valid until `respond` has been called.
  CallUnaryAsync(backends.user->async(), &UserAsync::Login, std::move(rpc), config.rpc_timeout,
                 [&backends, &config, &request,
                  respond = std::move(respond)](absl::StatusOr<user::v1::Session> session) mutable {
                   if (!session.ok()) return respond(ErrorResponse(session.status()));
                   AnswerSignIn(backends, config, request, *session, std::move(respond));
                 });
}

// The refresh token of a sessions/refresh or DELETE sessions body.
absl::StatusOr<std::string> RefreshTokenOf(const HttpRequest& request) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return body.status();
  if (absl::Status s = OnlyFields(*body, "", {"refresh_token"}); !s.ok()) return s;
  return StringField(*body, "refresh_token", "refresh_token", Presence::kRequired);
}

void Refresh(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
             Respond respond) {
  auto token = RefreshTokenOf(request);
  if (!token.ok()) return respond(ErrorResponse(token.status()));
  user::v1::RefreshSessionRequest rpc;
  rpc.set_refresh_token(*std::move(token));
  CallUser(backends, config, &UserAsync::RefreshSession, std::move(rpc), &SessionResponse,
           std::move(respond));
}

void Logout(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
            Respond respond) {
  auto token = RefreshTokenOf(request);
  if (!token.ok()) return respond(ErrorResponse(token.status()));
  user::v1::LogoutRequest rpc;
  rpc.set_refresh_token(*std::move(token));
  CallUser(
      backends, config, &UserAsync::Logout, std::move(rpc),
      [](const user::v1::LogoutResponse&) { return NoContent(); }, std::move(respond));
}

void GetMe(Backends& backends, const GatewayConfig& config, const HttpRequest&, Respond respond) {
  CallUser(backends, config, &UserAsync::GetMe, user::v1::GetMeRequest(), &UserResponse,
           std::move(respond));
}

void UpdateMe(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
              Respond respond) {
  auto body = ParseJsonObject(request);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  if (absl::Status s = OnlyFields(*body, "", {"name"}); !s.ok()) {
    return respond(ErrorResponse(s));
  }
  auto name = StringField(*body, "name", "name", Presence::kRequired);
  if (!name.ok()) return respond(ErrorResponse(name.status()));
  user::v1::UpdateMeRequest rpc;
  rpc.set_name(*std::move(name));
  CallUser(backends, config, &UserAsync::UpdateMe, std::move(rpc), &UserResponse,
           std::move(respond));
}

void ListAddresses(Backends& backends, const GatewayConfig& config, const HttpRequest&,
                   Respond respond) {
  CallUser(
      backends, config, &UserAsync::ListAddresses, user::v1::ListAddressesRequest(),
      [](const user::v1::ListAddressesResponse& reply) {
        Json out = Json::object();
        Json& addresses = out["addresses"] = Json::array();
        for (const auto& a : reply.addresses()) addresses.push_back(AddressJson(a));
        return JsonResponse(200, out);
      },
      std::move(respond));
}

void CreateAddress(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                   Respond respond) {
  auto address = ParseAddress(request);
  if (!address.ok()) return respond(ErrorResponse(address.status()));
  user::v1::CreateAddressRequest rpc;
  *rpc.mutable_address() = *std::move(address);
  rpc.mutable_address()->clear_id();  // the service assigns it
  CallUser(
      backends, config, &UserAsync::CreateAddress, std::move(rpc),
      [](const common::v1::Address& created) {
        HttpResponse response = JsonResponse(201, AddressJson(created));
        response.Header("Location", absl::StrCat("/api/v1/me/addresses/", created.id()));
        return response;
      },
      std::move(respond));
}

void GetAddress(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                Respond respond) {
  user::v1::GetAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  CallUser(backends, config, &UserAsync::GetAddress, std::move(rpc), &AddressResponse,
           std::move(respond));
}

void UpdateAddress(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                   Respond respond) {
  auto address = ParseAddress(request);
  if (!address.ok()) return respond(ErrorResponse(address.status()));
  const std::string& id = request.Param("id");
  if (!address->id().empty() && address->id() != id) {
    return respond(ErrorResponse(ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_field",
                                               "'id' does not match the address in the path")));
  }
  user::v1::UpdateAddressRequest rpc;
  *rpc.mutable_address() = *std::move(address);
  rpc.mutable_address()->set_id(id);
  CallUser(backends, config, &UserAsync::UpdateAddress, std::move(rpc), &AddressResponse,
           std::move(respond));
}

void DeleteAddress(Backends& backends, const GatewayConfig& config, const HttpRequest& request,
                   Respond respond) {
  user::v1::DeleteAddressRequest rpc;
  rpc.set_id(request.Param("id"));
  CallUser(
      backends, config, &UserAsync::DeleteAddress, std::move(rpc),
      [](const user::v1::DeleteAddressResponse&) { return NoContent(); }, std::move(respond));
}

}  // namespace

void RegisterAccountRoutes(Router& router, Backends& backends, const GatewayConfig& config) {
  using Fn = void (*)(Backends&, const GatewayConfig&, const HttpRequest&, Respond);
  auto add = [&](http::verb method, const char* pattern, Fn fn, RouteOptions options) {
    router.Add(
        method, pattern,
        [&backends, &config, fn](const HttpRequest& r, Respond respond) {
          fn(backends, config, r, std::move(respond));
        },
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
