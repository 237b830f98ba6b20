#include "user/login_throttle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "user/credentials.h"

namespace mercato::user {

std::chrono::seconds LockoutAfter(const ThrottlePolicy& policy, int failures) {
  if (failures < policy.soft_after) return std::chrono::seconds(0);
  if (failures >= policy.hard_after) return policy.hard_lock;
  const int doublings = std::min(failures - policy.soft_after, 30);
  const auto lock = policy.first_lock * (int64_t{1} << doublings);
  return std::min<std::chrono::seconds>(lock, policy.max_soft_lock);
}

int RetryAfterSeconds(std::chrono::system_clock::time_point until,
                      std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000));
}

std::string EmailThrottleKey(const std::string& normalised_email) {
  return absl::StrCat("email:", Blake2bHex(normalised_email));
}

std::string AddressThrottleKey(const std::string& client_address) {
  // Bounded and printable: the address comes from the gateway, but the key is a primary key
  // and appears in log lines.
  std::string address = client_address.substr(0, 100);
  for (char& c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return absl::StrCat("addr:", address);
}

}  // namespace mercato::user
