#include "user/access_token.h"

#include <jwt.h>

#include <cstdlib>
#include <memory>

#include "common/ids.h"

namespace mercato::user {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct MallocDeleter {
  void operator()(char* p) const { std::free(p); }
};

}  // namespace

absl::StatusOr<std::string> AccessTokenIssuer::Issue(
    const std::string& user_id, const std::string& role,
    std::chrono::system_clock::time_point now) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("cannot create a token");
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  const long iat = static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const std::string jti = NewUuid();
  const bool ok =
      jwt_add_grant(jwt.get(), "iss", kTokenIssuer) == 0 &&
      jwt_add_grant(jwt.get(), "aud", kTokenAudience) == 0 &&
      jwt_add_grant(jwt.get(), "sub", user_id.c_str()) == 0 &&
      jwt_add_grant(jwt.get(), "role", role.c_str()) == 0 &&
      jwt_add_grant_int(jwt.get(), "iat", iat) == 0 &&
      jwt_add_grant_int(jwt.get(), "exp", iat + static_cast<long>(ttl_.count())) == 0 &&
      jwt_add_grant(jwt.get(), "jti", jti.c_str()) == 0 &&
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  static_cast<int>(secret_.size())) == 0;
  if (!ok) return absl::InternalError("cannot build a token");
  std::unique_ptr<char, MallocDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) return absl::InternalError("cannot sign a token");
  return std::string(encoded.get());
}

}  // namespace mercato::user
