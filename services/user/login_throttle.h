// Brute-force protection for sign-in: the schedule of lock-outs after failed logins.
//
// Failures are counted per key: one key per normalised email and one per client address
// (so that one attacker cannot try many passwords on one account, nor one password on many
// accounts). The counts live in PostgreSQL so that every replica sees the same numbers. The
// n-th consecutive failure for a key locks that key for LockoutAfter(policy, n):
//
//   email   (kEmailThrottle):   failures 1-4 free; 5th 1 s, 6th 2 s, 7th 4 s, 8th 8 s,
//                               9th 16 s ("slowed"); 10th and later 15 minutes ("refused").
//   address (kAddressThrottle): failures 1-19 free; 20th 1 s doubling up to 60 s;
//                               100th and later 15 minutes. Higher, because many shoppers
//                               can share one address (NAT, offices).
//
// While a key is locked every attempt, even with the right password, is refused with
// RESOURCE_EXHAUSTED "too_many_attempts" and retry_after_seconds (HTTP 429 + Retry-After)
// without checking the password. A successful login clears the email's count (not the
// address's: signing in to one's own account must not reset an attacker's budget). Counts
// are forgotten an hour after the last failure.
#pragma once

#include <chrono>
#include <string>

namespace mercato::user {

struct ThrottlePolicy {
  // The first failure count that locks the key.
  int soft_after = 5;
  // From this failure count on, every failure locks for `hard_lock`.
  int hard_after = 10;
  // The lock at `soft_after` failures; doubles with each further failure.
  std::chrono::seconds first_lock{1};
  std::chrono::seconds max_soft_lock{60};
  std::chrono::seconds hard_lock{15 * 60};
  // A count whose last failure is older than this starts again from zero.
  std::chrono::seconds window{60 * 60};
};

inline constexpr ThrottlePolicy kEmailThrottle{};
inline constexpr ThrottlePolicy kAddressThrottle{.soft_after = 20, .hard_after = 100};

// How long a key is locked after its `failures`-th consecutive failure (0 s: not locked).
std::chrono::seconds LockoutAfter(const ThrottlePolicy& policy, int failures);

// Whole seconds from `now` until `until`, rounded up, at least 1.
int RetryAfterSeconds(std::chrono::system_clock::time_point until,
                      std::chrono::system_clock::time_point now);

// The throttle key of a normalised email: a hash, so that whatever was typed into the
// email field (sometimes a password) is not stored in the clear.
std::string EmailThrottleKey(const std::string& normalised_email);
// The throttle key of a client address ("addr:<ip>").
std::string AddressThrottleKey(const std::string& client_address);

}  // namespace mercato::user
