// Postal addresses for the tests of the address rule (libs/commerce/address.h) and of the
// services that apply it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mercato/common/v1/common.pb.h"

namespace mercato::testing {

// A valid address as a shopper might type it: the name padded with spaces, the country in
// lower case, no line2 or region. Normalised: name "Ann Smith", country "DE".
inline common::v1::Address UntidyGoodAddress() {
  common::v1::Address a;
  a.set_name("  Ann Smith ");
  a.set_line1("1 Main Street");
  a.set_city("Berlin");
  a.set_postal_code("10115");
  a.set_country(" de ");
  return a;
}

// A valid address as the gateway's JSON API takes it (every field present).
inline nlohmann::json AddressJson(const std::string& name, const std::string& line2 = "") {
  nlohmann::json a = nlohmann::json::object();
  a["name"] = name;
  a["line1"] = "1 Main Street";
  a["line2"] = line2;
  a["city"] = "Berlin";
  a["region"] = "";
  a["postal_code"] = "10115";
  a["country"] = "DE";
  return a;
}

}  // namespace mercato::testing
