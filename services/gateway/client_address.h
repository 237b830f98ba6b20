// The address of the client behind a request. Behind an ingress or load balancer the peer is
// the proxy; the proxy names the client in X-Forwarded-For. That header is believed only from
// peers listed as trusted proxies (MERCATO_TRUSTED_PROXIES, none by default): anyone else
// could write any address into it and dodge per-address limits.
//
//   auto proxies = TrustedProxies::Parse("10.0.0.0/8, 127.0.0.1");
//   proxies->ClientAddress("10.1.2.3", "198.51.100.7, 10.1.0.9")   // "198.51.100.7"
//   proxies->ClientAddress("203.0.113.5", "198.51.100.7")          // "203.0.113.5"
//
// From a trusted peer the header is read right to left, skipping trusted proxies; the first
// address that is not one is the client (entries to its left were written by the client
// itself and prove nothing). A malformed entry ends the walk at the last good hop.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mercato::gateway {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Comma-separated addresses and CIDR blocks, IPv4 or IPv6 ("10.0.0.0/8,::1"); empty: none.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view spec);

  bool empty() const { return networks_.empty(); }
  bool Contains(std::string_view address) const;
  // `forwarded_for`: the X-Forwarded-For values joined with ','.
  std::string ClientAddress(const std::string& peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    std::array<uint8_t, 16> bytes{};  // IPv4 as its IPv4-mapped IPv6 form
    int prefix = 128;
  };
  std::vector<Network> networks_;
};

}  // namespace mercato::gateway
