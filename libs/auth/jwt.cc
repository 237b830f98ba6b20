#include "auth/jwt.h"

#include <jwt.h>
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::auth {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct MallocDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Jwt = std::unique_ptr<jwt_t, JwtDeleter>;

constexpr size_t kEs256SignatureBytes = 64;

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

std::optional<nlohmann::json> DecodeObject(absl::string_view encoded) {
  auto decoded = DecodeBase64Url(encoded);
  if (!decoded) return std::nullopt;
  nlohmann::json object = nlohmann::json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return std::nullopt;
  return object;
}

// Only ES256 is ever accepted, so a token cannot pick "none" or another algorithm to be
// checked with.
absl::Status CheckHeader(absl::string_view encoded, absl::string_view what) {
  auto header = DecodeObject(encoded);
  if (!header) return InvalidToken(what, "malformed header");
  if (StringClaim(*header, "alg") != "ES256") return InvalidToken(what, "algorithm not allowed");
  if (auto typ = header->find("typ");
      typ != header->end() && (!typ->is_string() || typ->get<std::string>() != "JWT")) {
    return InvalidToken(what, "unexpected type");
  }
  // Extensions we do not understand must not be ignored (RFC 7515 section 4.1.11).
  if (header->contains("crit")) return InvalidToken(what, "unsupported critical header");
  return absl::OkStatus();
}

// Time claims are accepted from 1970 to 2106 (below 2^32 s) only. Bounding every claim before
// any arithmetic keeps the sums and differences below far from int64 overflow whatever a
// token says (exp = 2^63 - 1000 with iat = -2^63 + 1 once passed as a 15-minute lifetime),
// and inside what a system_clock time_point can hold.
constexpr int64_t kMaxTimeClaim = (int64_t{1} << 32) - 1;

// The integer time claim `name`; nullopt when it is absent, not an integer or out of range
// (nlohmann reads a large positive number as unsigned: that is checked as such).
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

}  // namespace

absl::Status InvalidToken(absl::string_view what, absl::string_view why) {
  return ErrorWithCode(absl::StatusCode::kUnauthenticated, "invalid_token",
                       absl::StrCat("invalid ", what, ": ", why));
}

std::string StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<std::string> SignEs256(const nlohmann::json& claims, const SigningKey& key) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("cannot create a token");
  Jwt jwt(raw);
  const std::string& pem = key.pem();
  if (jwt_add_grants_json(jwt.get(), claims.dump().c_str()) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_ES256, reinterpret_cast<const unsigned char*>(pem.data()),
                  static_cast<int>(pem.size())) != 0) {
    return absl::InternalError("cannot build a token");
  }
  std::unique_ptr<char, MallocDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) return absl::InternalError("cannot sign a token");
  return std::string(encoded.get());
}

absl::StatusOr<nlohmann::json> ReadClaims(absl::string_view token, absl::string_view what) {
  if (token.empty() || token.size() > kMaxTokenBytes) return InvalidToken(what, "malformed token");
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == absl::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == absl::string_view::npos ||
      token.find('.', second_dot + 1) != absl::string_view::npos || first_dot == 0 ||
      second_dot == first_dot + 1 || second_dot + 1 == token.size()) {
    return InvalidToken(what, "malformed token");
  }
  if (absl::Status s = CheckHeader(token.substr(0, first_dot), what); !s.ok()) return s;
  // An ES256 signature is 64 bytes (r and s), in canonical base64url: a second spelling of
  // the same signature is refused too.
  auto signature = DecodeBase64Url(token.substr(second_dot + 1));
  if (!signature || signature->size() != kEs256SignatureBytes) {
    return InvalidToken(what, "malformed signature");
  }
  auto claims = DecodeObject(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims) return InvalidToken(what, "malformed claims");
  return *std::move(claims);
}

absl::Status VerifySignature(absl::string_view token, const VerifyingKey& key,
                             absl::string_view what) {
  // The header and the signature's form again, so that this check stands on its own.
  if (absl::Status s = ReadClaims(token, what).status(); !s.ok()) return s;
  const size_t last_dot = token.rfind('.');
  const std::optional<std::string> signature = DecodeBase64Url(token.substr(last_dot + 1));
  if (!signature || !key.VerifiesEs256(token.substr(0, last_dot), *signature)) {
    return InvalidToken(what, "bad signature");
  }
  return absl::OkStatus();
}

absl::Status CheckLifetime(const nlohmann::json& claims, std::chrono::system_clock::time_point now,
                           std::chrono::seconds skew_allowed, std::chrono::seconds max_lifetime,
                           absl::string_view what) {
  auto Invalid = [what](absl::string_view why) { return InvalidToken(what, why); };
  // Every claim is within 0..2^32-1 before anything is computed with it; the clock (a
  // system_clock reading, within 2^34 s of 1970) is only ever subtracted from a claim and the
  // difference compared with the allowance, so nothing here can overflow, whatever the claims
  // or the allowance.
  const auto exp = TimeClaim(claims, "exp");
  const auto iat = TimeClaim(claims, "iat");
  if (!exp || !iat) return Invalid("no valid expiry or issue time");
  if (*exp <= *iat || *exp - *iat > max_lifetime.count()) return Invalid("bad lifetime");
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const int64_t skew = skew_allowed.count();
  if (*iat - now_s > skew) return Invalid("issued in the future");
  if (claims.contains("nbf")) {
    const auto nbf = TimeClaim(claims, "nbf");
    if (!nbf || *nbf - now_s > skew) return Invalid("not yet valid");
  }
  if (now_s - *exp >= skew) {
    return ErrorWithCode(absl::StatusCode::kUnauthenticated, "token_expired",
                         absl::StrCat("the ", what, " has expired"));
  }
  return absl::OkStatus();
}

}  // namespace mercato::auth
