// Strict reading of JSON request bodies. Unknown members, missing members and wrong types are
// 400s whose code says which ("unknown_field", "missing_field", "invalid_field") and whose
// message names the field by its path ("payment.card.number") — never the value sent, which
// may be a card number or a password.
//
//   if (auto s = OnlyFields(body, "", {"email", "password"}); !s.ok()) return ErrorResponse(s);
//   auto email = StringField(body, "email", "email", Presence::kRequired);
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/json_codec.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato::gateway {

enum class Presence {
  kOptional,          // absent or null reads as ""
  kRequired,          // must be present (may be "")
  kRequiredNonEmpty,  // must be present and not ""
};

absl::Status MissingField(absl::string_view path);
// "'<path>' must be <what>".
absl::Status InvalidField(absl::string_view path, absl::string_view what);
// Refuses members of `object` other than `allowed`; `path` prefixes the name in the message.
absl::Status OnlyFields(const Json& object, absl::string_view path,
                        std::initializer_list<absl::string_view> allowed);
// The string member `name` of `object`, reported as `path`.
absl::StatusOr<std::string> StringField(const Json& object, const char* name,
                                        absl::string_view path, Presence presence);
// The required integer member `name`, within [min, max].
absl::StatusOr<int64_t> IntField(const Json& object, const char* name, absl::string_view path,
                                 int64_t min, int64_t max);

// A postal address object: name, line1, city and country required, line2, region and
// postal_code optional, and "id" too when `allow_id`. `prefix` is the object's path
// ("shipping_address") or "" for a top-level body. The user service checks lengths and the
// country code.
absl::StatusOr<common::v1::Address> AddressFromJson(const Json& json, absl::string_view prefix,
                                                    Presence required, bool allow_id);
Json AddressJson(const common::v1::Address& address);

}  // namespace mercato::gateway
