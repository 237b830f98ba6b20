#include "gateway/json_fields.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace mercato::gateway {
namespace {

absl::Status BadJsonField(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

std::string Join(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

}  // namespace

absl::Status MissingField(absl::string_view path) {
  return BadJsonField("missing_field", absl::StrCat("'", path, "' is required"));
}

absl::Status InvalidField(absl::string_view path, absl::string_view what) {
  return BadJsonField("invalid_field", absl::StrCat("'", path, "' must be ", what));
}

absl::Status OnlyFields(const Json& object, absl::string_view path,
                        std::initializer_list<absl::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      // Shortened: the name is the client's text, not ours.
      const std::string name = key.size() > 40 ? key.substr(0, 40) + "..." : key;
      return BadJsonField("unknown_field", absl::StrCat("unknown field '", Join(path, name), "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StringField(const Json& object, const char* name,
                                        absl::string_view path, Presence presence) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (presence == Presence::kOptional) return std::string();
    return MissingField(path);
  }
  if (!it->is_string()) return InvalidField(path, "a string");
  std::string value = it->get<std::string>();
  if (presence == Presence::kRequiredNonEmpty && value.empty()) return MissingField(path);
  return value;
}

absl::StatusOr<int64_t> IntField(const Json& object, const char* name, absl::string_view path,
                                 int64_t min, int64_t max) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return MissingField(path);
  const std::string range = absl::StrCat("an integer from ", min, " to ", max);
  if (!it->is_number_integer()) return InvalidField(path, range);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return InvalidField(path, range);
  }
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) return InvalidField(path, range);
  return v;
}

absl::StatusOr<common::v1::Address> AddressFromJson(const Json& json, absl::string_view prefix,
                                                    Presence required, bool allow_id) {
  if (!json.is_object()) return InvalidField(prefix, "an object");
  absl::Status only =
      allow_id
          ? OnlyFields(json, prefix,
                       {"id", "name", "line1", "line2", "city", "region", "postal_code", "country"})
          : OnlyFields(json, prefix,
                       {"name", "line1", "line2", "city", "region", "postal_code", "country"});
  if (!only.ok()) return only;
  struct Member {
    const char* name;
    bool required;
    void (common::v1::Address::*set)(const std::string&);
  };
  static constexpr Member kMembers[] = {
      {"name", true, &common::v1::Address::set_name},
      {"line1", true, &common::v1::Address::set_line1},
      {"line2", false, &common::v1::Address::set_line2},
      {"city", true, &common::v1::Address::set_city},
      {"region", false, &common::v1::Address::set_region},
      {"postal_code", false, &common::v1::Address::set_postal_code},
      {"country", true, &common::v1::Address::set_country},
      {"id", false, &common::v1::Address::set_id},
  };
  common::v1::Address address;
  for (const Member& m : kMembers) {
    if (!allow_id && std::string_view(m.name) == "id") continue;
    auto value = StringField(json, m.name, Join(prefix, m.name),
                             m.required ? required : Presence::kOptional);
    if (!value.ok()) return value.status();
    (address.*m.set)(*value);
  }
  return address;
}

Json AddressJson(const common::v1::Address& a) {
  Json out = Json::object();
  out["id"] = a.id();
  out["name"] = a.name();
  out["line1"] = a.line1();
  out["line2"] = a.line2();
  out["city"] = a.city();
  out["region"] = a.region();
  out["postal_code"] = a.postal_code();
  out["country"] = a.country();
  return out;
}

}  // namespace mercato::gateway
