// Fuzz target: a request body as the account and checkout routes read it: ParseJsonObject,
// then the strict field readers of json_fields.h (unknown, missing and mistyped members, nested
// addresses). Besides the sanitizers it checks that a refusal is INVALID_ARGUMENT and that its
// message never depends on the string values sent (it may name fields, never echo a password
// or a card number): every reader is run again on the body with each string value replaced by
// another of the same length, and must say exactly the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "gateway/json_codec.h"
#include "gateway/json_fields.h"

namespace {

using mercato::gateway::Json;
using mercato::gateway::Presence;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// `json` with every string value (not key) replaced by one of the same length.
Json Masked(const Json& json) {
  if (json.is_string()) {
    const std::string& s = json.get_ref<const std::string&>();
    return std::string(s.size(), s.empty() || s[0] != 'z' ? 'z' : 'y');
  }
  if (!json.is_structured()) return json;
  Json out = json;
  for (auto& [key, value] : out.items()) value = Masked(value);
  return out;
}

// Runs `read` on the body and on its masked copy: same outcome, same message.
template <typename Read>
void CheckBothWays(const Json& body, const Json& masked, Read read) {
  const absl::Status real = read(body);
  const absl::Status other = read(masked);
  Check(real.code() == other.code());
  Check(real.message() == other.message());
  Check(real.ok() || real.code() == absl::StatusCode::kInvalidArgument);
}

void ReadFields(const Json& body) {
  const Json masked = Masked(body);
  namespace gw = mercato::gateway;
  CheckBothWays(body, masked, [](const Json& j) {
    return gw::OnlyFields(j, "", {"email", "password", "name"});
  });
  for (Presence presence :
       {Presence::kOptional, Presence::kRequired, Presence::kRequiredNonEmpty}) {
    CheckBothWays(body, masked, [presence](const Json& j) {
      return gw::StringField(j, "email", "email", presence).status();
    });
  }
  CheckBothWays(body, masked, [](const Json& j) {
    auto quantity = gw::IntField(j, "quantity", "quantity", 1, 99);
    if (quantity.ok()) Check(*quantity >= 1 && *quantity <= 99);
    return quantity.status();
  });
  for (bool allow_id : {false, true}) {
    CheckBothWays(body, masked, [allow_id](const Json& j) {
      return gw::AddressFromJson(j, "", Presence::kRequired, allow_id).status();
    });
  }
  CheckBothWays(body, masked, [](const Json& j) {
    auto it = j.find("shipping_address");
    if (it == j.end()) return absl::OkStatus();
    auto address = gw::AddressFromJson(*it, "shipping_address", Presence::kOptional, false);
    if (address.ok()) (void)gw::AddressJson(*address).dump();
    return address.status();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mercato::gateway::HttpRequest request;
  request.body.assign(reinterpret_cast<const char*>(data), size);
  auto body = mercato::gateway::ParseJsonObject(request);
  if (!body.ok()) {
    Check(body.status().code() == absl::StatusCode::kInvalidArgument);
    Check(mercato::ErrorCodeOf(body.status()) == "invalid_json");
    return 0;
  }
  Check(body->is_object());
  ReadFields(*body);
  return 0;
}
