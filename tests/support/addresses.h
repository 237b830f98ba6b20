// Postal addresses for the tests of the address rule (libs/commerce/address.h) and of the
// services that apply it.
#pragma once

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

}  // namespace mercato::testing
