#include "user/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "user/credentials.h"

namespace mercato::user {
namespace {

// `base` doubled `times` times, at most `max`.
std::chrono::seconds Doubled(std::chrono::seconds base, int times, std::chrono::seconds max) {
  const int doublings = std::clamp(times, 0, 30);
  return std::min<std::chrono::seconds>(base * (int64_t{1} << doublings), max);
}

// Bounded and printable: the address comes from the caller of the RPC.
std::string Printable(const std::string& text) {
  std::string out = text.substr(0, 100);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

std::string Ntop(int family, const void* address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, address, text.data(), text.size()) == nullptr) return "?";
  return std::string(text.data());
}

}  // namespace

std::chrono::seconds LockoutAfter(const ThrottlePolicy& policy, int failures) {
  if (failures < policy.soft_after) return std::chrono::seconds(0);
  if (failures < policy.hard_after) {
    return Doubled(policy.first_lock, failures - policy.soft_after, policy.max_soft_lock);
  }
  return Doubled(policy.hard_lock, failures - policy.hard_after, policy.max_hard_lock);
}

int RetryAfterSeconds(std::chrono::system_clock::time_point until,
                      std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000));
}

std::string AccountThrottleKey(const std::string& user_id) {
  return absl::StrCat("user:", user_id);
}

std::string EmailThrottleKey(const std::string& normalised_email) {
  return absl::StrCat("email:", Blake2bHex(normalised_email));
}

std::string ClientNetwork(const std::string& client_address) {
  in_addr v4{};
  if (inet_pton(AF_INET, client_address.c_str(), &v4) == 1) return Ntop(AF_INET, &v4);
  in6_addr v6{};
  if (inet_pton(AF_INET6, client_address.c_str(), &v6) != 1) return Printable(client_address);
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return Ntop(AF_INET, &v6.s6_addr[12]);
  std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
  return absl::StrCat(Ntop(AF_INET6, &v6), "/64");
}

std::string ClientThrottleKey(const std::string& account_key, const std::string& client_address) {
  return absl::StrCat("client:",
                      Blake2bHex(absl::StrCat(account_key, "\n", ClientNetwork(client_address))));
}

}  // namespace mercato::user
