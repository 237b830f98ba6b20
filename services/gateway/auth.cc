#include "gateway/auth.h"

#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/ids.h"
#include "common/status.h"
#include "gateway/json_codec.h"

namespace mercato::gateway {
namespace {

using Clock = std::chrono::system_clock;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct MallocDeleter {
  void operator()(char* p) const { std::free(p); }
};

absl::Status Invalid(absl::string_view why) {
  return ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_token",
                       std::string("invalid access token: ") + std::string(why));
}

// Unpadded base64url, as JWTs use; nullopt for anything else.
std::optional<std::string> DecodeBase64Url(absl::string_view text) {
  std::string out(text.size(), '\0');  // base64 is always longer than its content
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// The header is checked before libjwt verifies anything: only HS256 is ever accepted, so a
// token cannot pick "none" or another algorithm to be checked with.
absl::Status CheckHeader(absl::string_view encoded) {
  auto decoded = DecodeBase64Url(encoded);
  if (!decoded) return Invalid("malformed header");
  nlohmann::json header = nlohmann::json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Invalid("malformed header");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return Invalid("algorithm not allowed");
  }
  if (auto typ = header.find("typ");
      typ != header.end() && (!typ->is_string() || typ->get<std::string>() != "JWT")) {
    return Invalid("unexpected type");
  }
  // Extensions we do not understand must not be ignored (RFC 7515 section 4.1.11).
  if (header.contains("crit")) return Invalid("unsupported critical header");
  return absl::OkStatus();
}

// Time claims are accepted from 1970 to 2106 (below 2^32 s) only. Bounding every claim before
// any arithmetic keeps the sums and differences below far from int64 overflow whatever a
// token says (exp = 2^63 - 1000 with iat = -2^63 + 1 once passed as a 15-minute lifetime),
// and inside what a system_clock time_point can hold.
constexpr int64_t kMaxTimeClaim = (int64_t{1} << 32) - 1;

// The integer time claim `name`; nullopt when it is absent, not an integer or out of range.
std::optional<int64_t> TimeClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(kMaxTimeClaim)) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  const int64_t value = it->get<int64_t>();
  if (value < 0 || value > kMaxTimeClaim) return std::nullopt;
  return value;
}

// exp, iat and nbf against the clock (`now` and `skew` in seconds), all within range.
absl::Status CheckTimes(const nlohmann::json& claims, int64_t now, int64_t skew) {
  const auto exp = TimeClaim(claims, "exp");
  const auto iat = TimeClaim(claims, "iat");
  if (!exp || !iat) return Invalid("no valid expiry or issue time");
  if (*exp <= *iat || *exp - *iat > kMaxTokenLifetime.count()) return Invalid("bad lifetime");
  if (*iat > now + skew) return Invalid("issued in the future");
  if (claims.contains("nbf")) {
    const auto nbf = TimeClaim(claims, "nbf");
    if (!nbf || *nbf > now + skew) return Invalid("not yet valid");
  }
  if (now >= *exp + skew) {
    return ErrorWithCode(absl::StatusCode::kUnauthenticated, "token_expired",
                         "the access token has expired");
  }
  return absl::OkStatus();
}

bool HasAudience(const nlohmann::json& aud) {
  if (aud.is_string()) return aud.get<std::string>() == kTokenAudience;
  if (!aud.is_array()) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get<std::string>() == kTokenAudience) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<VerifiedToken> AccessTokenVerifier::Verify(absl::string_view token,
                                                          Clock::time_point now) const {
  if (secret_.empty()) return Invalid("no key configured");
  if (token.empty() || token.size() > kMaxTokenBytes) return Invalid("malformed token");
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == absl::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == absl::string_view::npos ||
      token.find('.', second_dot + 1) != absl::string_view::npos || first_dot == 0 ||
      second_dot == first_dot + 1 || second_dot + 1 == token.size()) {
    return Invalid("malformed token");
  }
  if (absl::Status s = CheckHeader(token.substr(0, first_dot)); !s.ok()) return s;

  const std::string text(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      raw == nullptr) {
    return Invalid("bad signature");
  }
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return Invalid("algorithm not allowed");

  std::unique_ptr<char, MallocDeleter> grants(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants) return Invalid("no claims");
  const nlohmann::json claims =
      nlohmann::json::parse(grants.get(), nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return Invalid("malformed claims");

  auto string_claim = [&](const char* name) -> std::string {
    auto it = claims.find(name);
    return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (string_claim("iss") != kTokenIssuer) return Invalid("wrong issuer");
  if (!claims.contains("aud") || !HasAudience(claims["aud"])) return Invalid("wrong audience");
  const std::string sub = string_claim("sub");
  if (!IsUuid(sub)) return Invalid("bad subject");
  const std::string role = string_claim("role");
  if (role != "customer" && role != "admin") return Invalid("bad role");
  if (string_claim("jti").empty()) return Invalid("no token id");
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (absl::Status s = CheckTimes(claims, now_s, clock_skew_.count()); !s.ok()) return s;
  const int64_t exp = *TimeClaim(claims, "exp");
  return VerifiedToken{
      .user_id = sub, .role = role, .expires_at = Clock::time_point(std::chrono::seconds(exp))};
}

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

absl::StatusOr<std::optional<VerifiedToken>> Authenticate(const AccessTokenVerifier& verifier,
                                                          AuthPolicy policy,
                                                          const HttpRequest& request,
                                                          Clock::time_point now) {
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
  return std::optional<VerifiedToken>(*std::move(verified));
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
