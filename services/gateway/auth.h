// Access tokens at the gateway: the caller of a route is established from the shopper's access
// token only (verified with the user service's public key: auth/access_token.h), and that
// token is what the gateway forwards to the backends, which verify it again (rpc/call_auth.h).
// Nothing else a client sends (X-Mercato-User-Id or any other header) becomes identity.
//
//   AccessTokenVerifier verifier(*config.identity.access_token_key, config.jwt_clock_skew);
//   auto identity = Authenticate(verifier, route.auth, request, now);
//   if (!identity.ok()) return UnauthorizedResponse(identity.status());      // 401
//   if (*identity) { call.user_id = (*identity)->user_id; ... }             // signed in
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/access_token.h"
#include "gateway/http_types.h"
#include "gateway/router.h"

namespace mercato::gateway {

using auth::AccessTokenVerifier;

// A signed-in caller: who the verified token names, and the token itself.
struct Identity {
  std::string user_id;
  std::string role;  // "customer" or "admin"
  std::string access_token;
};

// The token of an "Authorization: Bearer <token>" header; nullopt without an Authorization
// header; UNAUTHENTICATED "invalid_token" for another scheme or an empty token.
absl::StatusOr<std::optional<std::string>> BearerToken(const HttpRequest& request);

// Applies a route's policy: the verified caller, nullopt for an anonymous caller where that
// is allowed (kNone ignores the header altogether), or UNAUTHENTICATED
// ("authentication_required" without a token; "invalid_token" / "token_expired" for a bad one).
absl::StatusOr<std::optional<Identity>> Authenticate(const AccessTokenVerifier& verifier,
                                                     AuthPolicy policy, const HttpRequest& request,
                                                     std::chrono::system_clock::time_point now);

// The JSON 401 for a failed Authenticate(), with the RFC 6750 WWW-Authenticate header.
HttpResponse UnauthorizedResponse(const absl::Status& status);

}  // namespace mercato::gateway
