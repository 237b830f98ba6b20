#include "common/call_context.h"

#include "absl/strings/ascii.h"
#include "common/ids.h"

namespace mercato {
namespace {

thread_local CallContext current_call;

bool IsLowerHex(const std::string& s, size_t from, size_t len) {
  for (size_t i = from; i < from + len; ++i) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(const std::string& s, size_t from, size_t len) {
  return s.find_first_not_of('0', from) >= from + len;
}

}  // namespace

const CallContext& CurrentCall() { return current_call; }

ScopedCallContext::ScopedCallContext(CallContext context) : previous_(std::move(current_call)) {
  current_call = std::move(context);
}

ScopedCallContext::~ScopedCallContext() { current_call = std::move(previous_); }

bool IsValidTraceparent(const std::string& tp) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (tp.size() != 55) return false;
  if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return false;
  if (!IsLowerHex(tp, 0, 2) || !IsLowerHex(tp, 3, 32) || !IsLowerHex(tp, 36, 16) ||
      !IsLowerHex(tp, 53, 2)) {
    return false;
  }
  if (tp.compare(0, 2, "ff") == 0) return false;
  return !AllZero(tp, 3, 32) && !AllZero(tp, 36, 16);
}

std::string NewTraceparent() {
  std::string tp = "00-";
  tp.reserve(55);
  tp += CorrelationHex(24);  // trace-id (16 bytes) and parent-id (8 bytes) from one draw
  tp.insert(35, 1, '-');
  tp += "-01";
  return tp;
}

std::string TraceIdOf(const std::string& traceparent) {
  if (!IsValidTraceparent(traceparent)) return "";
  return traceparent.substr(3, 32);
}

std::string ChildTraceparent(const std::string& parent) {
  if (!IsValidTraceparent(parent)) return NewTraceparent();
  return parent.substr(0, 36) + CorrelationHex(8) + parent.substr(52);
}

}  // namespace mercato
