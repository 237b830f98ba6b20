#include "gateway/client_address.h"

#include <boost/asio/ip/address.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mercato::gateway {
namespace {

namespace ip = boost::asio::ip;

// 16 bytes; IPv4 mapped into ::ffff:0:0/96 so that one comparison serves both families.
std::optional<std::array<uint8_t, 16>> Bytes(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v4()) a = ip::make_address_v6(ip::v4_mapped, a.to_v4());
  ip::address_v6::bytes_type b = a.to_v6().to_bytes();
  std::array<uint8_t, 16> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// "1.2.3.4", "1.2.3.4:80", "[::1]:80", "::1" -> the address without port or brackets.
std::string_view StripPort(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    return close == std::string_view::npos ? entry : entry.substr(1, close - 1);
  }
  const size_t colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    return entry.substr(0, colon);  // IPv4 with a port
  }
  return entry;
}

std::string Canonical(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::string(text);
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a.to_string();
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view spec) {
  TrustedProxies out;
  for (absl::string_view raw : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    const absl::string_view item = absl::StripAsciiWhitespace(raw);
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(item, absl::MaxSplits('/', 1));
    auto bytes = Bytes(std::string_view(parts.first.data(), parts.first.size()));
    if (!bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", item, "' is not an IP address or CIDR block"));
    }
    const bool v4 = std::string_view(parts.first.data(), parts.first.size()).find(':') ==
                    std::string_view::npos;
    Network n;
    n.bytes = *bytes;
    n.prefix = 128;
    if (!parts.second.empty()) {
      int prefix = 0;
      const int max = v4 ? 32 : 128;
      if (!absl::SimpleAtoi(parts.second, &prefix) || prefix < 0 || prefix > max) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", item, "': the prefix length must be 0 to ", max));
      }
      n.prefix = v4 ? 96 + prefix : prefix;
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
  auto bytes = Bytes(address);
  if (!bytes) return false;
  for (const Network& n : networks_) {
    bool match = true;
    for (int bit = 0; bit < n.prefix && match; bit += 8) {
      const int bits = std::min(8, n.prefix - bit);
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
      match = ((*bytes)[bit / 8] & mask) == (n.bytes[bit / 8] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(const std::string& peer,
                                          std::string_view forwarded_for) const {
  // A dotted IPv4 address (what the socket reports for IPv4 peers) is already canonical.
  std::string client = peer.find(':') == std::string::npos ? peer : Canonical(peer);
  if (networks_.empty() || forwarded_for.empty() || !Contains(peer)) return client;
  std::vector<absl::string_view> hops =
      absl::StrSplit(absl::string_view(forwarded_for.data(), forwarded_for.size()), ',');
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(*it);
    const std::string_view hop = StripPort(std::string_view(trimmed.data(), trimmed.size()));
    if (hop.empty()) continue;
    if (!Bytes(hop)) break;  // malformed: keep the last good hop
    client = Canonical(hop);
    if (!Contains(hop)) break;
  }
  return client;
}

}  // namespace mercato::gateway
