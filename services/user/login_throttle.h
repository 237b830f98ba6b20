// Brute-force protection for sign-in that gives nobody a button to lock others out
// (docs/security.md, "Sign-in throttling", has the reasoning and the arithmetic).
//
// Failures are counted, in PostgreSQL so that every replica sees the same numbers, per
//   client key  (account, client network): the only thing that ever refuses a sign-in; the
//               network is the client address, IPv6 cut to its /64 (ClientNetwork());
//   account key (the user id, or the normalised email when no account has it): never refuses
//               anything; past kAccountUnderAttackAfter failures within its window it makes
//               every client key of the account skip its free and short locks.
// The n-th consecutive failure of a client key locks that key for LockoutAfter(policy, n):
//
//   kClientThrottle:            failures 1-4 free; 5th 1 s, 6th 2 s, 7th 4 s, 8th 8 s, 9th 16 s;
//                               10th 15 min, doubling with each further failure up to 24 h.
//   kClientThrottleUnderAttack: the 1st failure locks for 15 min, doubling up to 24 h.
//
// While a client key is locked its attempts, even with the right password, are refused with
// RESOURCE_EXHAUSTED "too_many_attempts" and retry_after_seconds (HTTP 429 + Retry-After)
// without checking the password. Other clients of the same account are not affected: an
// attacker locks only himself out. A successful sign-in clears its client key (not the
// account's count). Counts are forgotten a window (30 days) after their last failure.
#pragma once

#include <chrono>
#include <limits>
#include <string>

namespace mercato::user {

struct ThrottlePolicy {
  // The first failure count that locks the key.
  int soft_after = 5;
  // From this failure count on, locks are `hard_lock` and longer.
  int hard_after = 10;
  // The lock at `soft_after` failures; doubles with each further failure below `hard_after`.
  std::chrono::seconds first_lock{1};
  std::chrono::seconds max_soft_lock{60};
  // The lock at `hard_after` failures; doubles with each further failure.
  std::chrono::seconds hard_lock{15 * 60};
  std::chrono::seconds max_hard_lock{24 * 3600};
  // A count whose last failure is older than this starts again from zero. Long enough that
  // pausing to have the count forgotten never pays for an attacker: after 16 guesses a day,
  // waiting a month for 16 more is slower than the one a day of trying on.
  std::chrono::seconds window{30 * 24 * 3600};
};

inline constexpr ThrottlePolicy kClientThrottle{};
inline constexpr ThrottlePolicy kClientThrottleUnderAttack{.soft_after = 1, .hard_after = 1};
// The account's count never locks anything.
inline constexpr ThrottlePolicy kAccountCount{.soft_after = std::numeric_limits<int>::max(),
                                              .hard_after = std::numeric_limits<int>::max(),
                                              .window = std::chrono::seconds(24 * 3600)};
// Failures of one account, from all its clients within kAccountCount.window, from which on
// the account is under attack.
inline constexpr int kAccountUnderAttackAfter = 30;

// How long a key is locked after its `failures`-th consecutive failure (0 s: not locked).
std::chrono::seconds LockoutAfter(const ThrottlePolicy& policy, int failures);

// Whole seconds from `now` until `until`, rounded up, at least 1.
int RetryAfterSeconds(std::chrono::system_clock::time_point until,
                      std::chrono::system_clock::time_point now);

// The account key of an existing account ("user:<id>").
std::string AccountThrottleKey(const std::string& user_id);
// The account key of an email no account has: a hash of its normalised form, so that whatever
// was typed into the email field (sometimes a password) is not stored in the clear.
std::string EmailThrottleKey(const std::string& normalised_email);
// The network a client address counts for: an IPv4 address as it is (an IPv4-mapped IPv6
// address as IPv4), an IPv6 address as its /64 ("2001:db8:1:2::/64": one subscriber's
// allocation, since a host can use any address in it), anything else bounded and printable.
std::string ClientNetwork(const std::string& client_address);
// The client key of an account key and a client address: a hash, so that the table holds
// neither emails nor addresses.
std::string ClientThrottleKey(const std::string& account_key, const std::string& client_address);

}  // namespace mercato::user
