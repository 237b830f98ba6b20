#include "fulfillment/shipment_rules.h"

#include <algorithm>
#include <cctype>

#include "common/status.h"

namespace mercato::fulfillment {
namespace {

using checkout::v1::FulfillmentStage;

constexpr const char* kStateNames[] = {"created", "packing", "shipped", "delivered", "cancelled"};
constexpr char kTrackingPrefix[] = "MP";
constexpr size_t kTrackingDigits = 12;

// FNV-1a, 64 bits: stable across builds and platforms (std::hash is not).
uint64_t StableHash(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

const char* StateName(ShipmentState state) { return kStateNames[static_cast<int>(state)]; }

std::optional<ShipmentState> ParseState(const std::string& name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kStateNames[i]) return static_cast<ShipmentState>(i);
  }
  return std::nullopt;
}

bool IsFinal(ShipmentState state) {
  return state == ShipmentState::kDelivered || state == ShipmentState::kCancelled;
}

bool IsCancellable(ShipmentState state) {
  return state == ShipmentState::kCreated || state == ShipmentState::kPacking;
}

std::optional<Step> NextStep(ShipmentState state) {
  switch (state) {
    case ShipmentState::kCreated:
      return Step{checkout::v1::FULFILLMENT_STAGE_FULFILLING, ShipmentState::kPacking};
    case ShipmentState::kPacking:
      return Step{checkout::v1::FULFILLMENT_STAGE_SHIPPED, ShipmentState::kShipped};
    case ShipmentState::kShipped:
      return Step{checkout::v1::FULFILLMENT_STAGE_DELIVERED, ShipmentState::kDelivered};
    default:
      return std::nullopt;
  }
}

const std::string& CarrierFor(const std::string& order_id,
                              const std::vector<std::string>& carriers) {
  return carriers[StableHash(order_id) % carriers.size()];
}

std::string NewTrackingNumber(std::mt19937_64& random) {
  std::uniform_int_distribution<int> digit(0, 9);
  std::string out = kTrackingPrefix;
  for (size_t i = 0; i < kTrackingDigits; ++i)
    out.push_back(static_cast<char>('0' + digit(random)));
  return out;
}

bool IsTrackingNumber(const std::string& text) {
  const size_t prefix = sizeof(kTrackingPrefix) - 1;
  if (text.size() != prefix + kTrackingDigits || text.rfind(kTrackingPrefix, 0) != 0) return false;
  return std::all_of(text.begin() + prefix, text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

Verdict Judge(const absl::Status& answer, FulfillmentStage stage) {
  if (answer.ok()) return Verdict::kRecorded;
  const std::string code = ExplicitErrorCodeOf(answer);
  const bool refused = answer.code() == absl::StatusCode::kFailedPrecondition &&
                       (code == "order_cancelled" || code == "order_refunded");
  // Once shipped an order is delivered whatever happens to it (checkout accepts DELIVERED
  // for any order that shipped), so only the steps before shipping give way.
  if (refused && stage != checkout::v1::FULFILLMENT_STAGE_DELIVERED) return Verdict::kCancelled;
  return Verdict::kRetry;
}

std::chrono::milliseconds RetryDelay(int attempts) {
  const int doublings = std::clamp(attempts - 1, 0, 6);
  return std::min(std::chrono::milliseconds(500) * (1 << doublings),
                  std::chrono::milliseconds(30000));
}

}  // namespace mercato::fulfillment
