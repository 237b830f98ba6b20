#include "common/backend_policy.h"

#include <functional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mercato {
namespace {

using std::chrono::milliseconds;

absl::Status Bad(absl::string_view pair, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("'", pair, "': ", why));
}

// An integer value within [min, max].
absl::Status ParseInt(absl::string_view pair, absl::string_view value, int64_t min, int64_t max,
                      int64_t& out) {
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed)) return Bad(pair, "the value must be an integer");
  if (parsed < min || parsed > max) {
    return Bad(pair, absl::StrCat("the value must be between ", min, " and ", max));
  }
  out = parsed;
  return absl::OkStatus();
}

// An integer key of a spec: its range and the field it sets.
struct IntKey {
  const char* name;
  int64_t min;
  int64_t max;
  std::function<void(int64_t)> set;
};

std::vector<IntKey> IntKeysOf(BackendPolicy& policy) {
  return {
      {"deadline_ms", 0, 3600000, [p = &policy](int64_t v) { p->deadline = milliseconds(v); }},
      {"breaker_consecutive_failures", 0, 1000,
       [p = &policy](int64_t v) { p->breaker.consecutive_failures = static_cast<int>(v); }},
      {"breaker_slow_call_ms", 0, 3600000,
       [p = &policy](int64_t v) { p->breaker.slow_call = milliseconds(v); }},
      {"breaker_min_requests", 1, 1000000,
       [p = &policy](int64_t v) { p->breaker.min_requests = static_cast<int>(v); }},
      {"breaker_window_ms", 100, 3600000,
       [p = &policy](int64_t v) { p->breaker.window = milliseconds(v); }},
      {"breaker_error_percent", 1, 100,
       [p = &policy](int64_t v) { p->breaker.error_percent = static_cast<int>(v); }},
      {"breaker_sleep_ms", 10, 3600000,
       [p = &policy](int64_t v) { p->breaker.sleep_window = milliseconds(v); }},
      {"max_in_flight", 0, 1000000,
       [p = &policy](int64_t v) { p->max_in_flight = static_cast<int>(v); }},
      {"retry_attempts", 1, 5,
       [p = &policy](int64_t v) { p->retry.max_attempts = static_cast<int>(v); }},
      {"retry_backoff_ms", 1, 60000,
       [p = &policy](int64_t v) { p->retry.initial_backoff = milliseconds(v); }},
      {"retry_max_backoff_ms", 1, 60000,
       [p = &policy](int64_t v) { p->retry.max_backoff = milliseconds(v); }},
  };
}

// breaker=on|off (or true|false).
absl::Status ApplyBreakerSwitch(absl::string_view pair, absl::string_view value,
                                BackendPolicy& policy) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "on" || v == "true") {
    policy.breaker.enabled = true;
  } else if (v == "off" || v == "false") {
    policy.breaker.enabled = false;
  } else {
    return Bad(pair, "the value must be on or off");
  }
  return absl::OkStatus();
}

// Applies one "key=value" of a spec.
absl::Status ApplyPair(absl::string_view pair, const std::vector<IntKey>& int_keys,
                       BackendPolicy& policy) {
  std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(pair, absl::MaxSplits('=', 1));
  const absl::string_view key = absl::StripAsciiWhitespace(kv.first);
  const absl::string_view value = absl::StripAsciiWhitespace(kv.second);
  if (value.empty()) return Bad(pair, "expected key=value");
  if (key == "breaker") return ApplyBreakerSwitch(pair, value, policy);
  for (const IntKey& k : int_keys) {
    if (key != k.name) continue;
    int64_t v = 0;
    if (absl::Status s = ParseInt(pair, value, k.min, k.max, v); !s.ok()) return s;
    k.set(v);
    return absl::OkStatus();
  }
  return Bad(pair,
             "unknown key (known: deadline_ms, breaker, breaker_consecutive_failures, "
             "breaker_slow_call_ms, breaker_min_requests, breaker_window_ms, "
             "breaker_error_percent, breaker_sleep_ms, max_in_flight, retry_attempts, "
             "retry_backoff_ms, retry_max_backoff_ms)");
}

}  // namespace

absl::Status ApplyBackendPolicySpec(absl::string_view spec, BackendPolicy& policy) {
  const std::vector<IntKey> int_keys = IntKeysOf(policy);
  for (absl::string_view raw : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    if (absl::Status s = ApplyPair(absl::StripAsciiWhitespace(raw), int_keys, policy); !s.ok()) {
      return s;
    }
  }
  if (policy.retry.max_backoff < policy.retry.initial_backoff) {
    return absl::InvalidArgumentError("retry_max_backoff_ms must not be below retry_backoff_ms");
  }
  return absl::OkStatus();
}

std::string BackendPolicyVariable(absl::string_view backend) {
  return absl::StrCat("MERCATO_", absl::AsciiStrToUpper(backend), "_RESILIENCE");
}

BackendPolicy DefaultBackendPolicy(absl::string_view backend) {
  BackendPolicy policy;
  const bool whole_order = backend == "checkout";
  policy.deadline = whole_order ? milliseconds(0) : milliseconds(2000);
  policy.breaker.slow_call = whole_order ? milliseconds(0) : milliseconds(1500);
  return policy;
}

std::map<std::string, BackendPolicy> ReadBackendPolicies(EnvReader& env,
                                                         const std::vector<std::string>& backends) {
  const std::string common = env.String("MERCATO_RESILIENCE", "");
  BackendPolicy probe;
  if (absl::Status s = ApplyBackendPolicySpec(common, probe); !s.ok()) {
    env.AddError("MERCATO_RESILIENCE", std::string(s.message()));
  }
  std::map<std::string, BackendPolicy> out;
  for (const std::string& backend : backends) {
    BackendPolicy policy = DefaultBackendPolicy(backend);
    ApplyBackendPolicySpec(common, policy).IgnoreError();  // reported above
    const std::string name = BackendPolicyVariable(backend);
    const std::string spec = env.String(name, "");
    if (absl::Status s = ApplyBackendPolicySpec(spec, policy); !s.ok()) {
      env.AddError(name, std::string(s.message()));
    }
    out.emplace(backend, policy);
  }
  return out;
}

}  // namespace mercato
