#include "gateway/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/status.h"
#include "gateway/json_codec.h"

namespace mercato::gateway {

absl::StatusOr<std::optional<std::string>> BearerToken(const HttpRequest& request) {
  if (request.headers.find(http::field::authorization) == request.headers.end()) {
    return std::nullopt;
  }
  const std::string_view header = request.Header(http::field::authorization);
  const absl::string_view value =
      absl::StripAsciiWhitespace(absl::string_view(header.data(), header.size()));
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(value, kScheme)) {
    return ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_token",
                         "the Authorization header must be \"Bearer <access token>\"");
  }
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(kScheme.size()));
  return std::string(token);
}

absl::StatusOr<std::optional<Identity>> Authenticate(const AccessTokenVerifier& verifier,
                                                     AuthPolicy policy, const HttpRequest& request,
                                                     std::chrono::system_clock::time_point now) {
  if (policy == AuthPolicy::kNone) return std::nullopt;
  auto token = BearerToken(request);
  if (!token.ok()) return token.status();
  if (!*token) {
    if (policy == AuthPolicy::kOptional) return std::nullopt;
    return ErrorWithCode(absl::StatusCode::kUnauthenticated, "authentication_required",
                         "sign in: this needs an access token (Authorization: Bearer ...)");
  }
  auto verified = verifier.Verify(**token, now);
  if (!verified.ok()) return verified.status();
  return std::optional<Identity>(Identity{.user_id = std::move(verified->user_id),
                                          .role = std::move(verified->role),
                                          .access_token = **std::move(token)});
}

HttpResponse UnauthorizedResponse(const absl::Status& status) {
  HttpResponse response = ErrorResponse(status);
  const std::string code = ErrorCodeOf(status);
  response.Header("WWW-Authenticate", code == "authentication_required"
                                          ? "Bearer realm=\"mercato\""
                                          : "Bearer realm=\"mercato\", error=\"invalid_token\"");
  return response;
}

}  // namespace mercato::gateway
