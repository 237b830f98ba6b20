// The rules of a shipment, without I/O: its states and the step the simulated carrier takes
// from each, which carrier an order goes to, tracking numbers, and what an answer of
// checkout's RecordFulfillment means for the shipment.
//
//   created --FULFILLING--> packing --SHIPPED--> shipped --DELIVERED--> delivered
//      \__________________________\__> cancelled (OrderCancelled, or checkout refuses to
//                                      record FULFILLING/SHIPPED: "order_cancelled",
//                                      "order_refunded")
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mercato/checkout/v1/checkout.pb.h"

namespace mercato::fulfillment {

enum class ShipmentState { kCreated, kPacking, kShipped, kDelivered, kCancelled };

// "created", "packing", "shipped", "delivered", "cancelled" (as stored).
const char* StateName(ShipmentState state);
std::optional<ShipmentState> ParseState(const std::string& name);
// Delivered and cancelled: nothing more happens to the shipment.
bool IsFinal(ShipmentState state);
// Created and packing: an OrderCancelled event still cancels it.
bool IsCancellable(ShipmentState state);

// The carrier's next step from a state that is not final: the stage to record with checkout
// and the state it leads to.
struct Step {
  checkout::v1::FulfillmentStage stage;
  ShipmentState next;
};
std::optional<Step> NextStep(ShipmentState state);

// carriers[hash(order_id) % size]: the same order always goes to the same carrier, and many
// orders spread evenly (round robin by hash). `carriers` must not be empty.
const std::string& CarrierFor(const std::string& order_id,
                              const std::vector<std::string>& carriers);

// "MP" followed by 12 random digits.
std::string NewTrackingNumber(std::mt19937_64& random);
bool IsTrackingNumber(const std::string& text);

// What checkout's answer to RecordFulfillment means.
enum class Verdict {
  kRecorded,   // OK: move to the next state
  kCancelled,  // the order was cancelled or refunded: never ship it
  kRetry,      // anything else (the transport, checkout down, a breaker): a later pass
};
Verdict Judge(const absl::Status& answer, checkout::v1::FulfillmentStage stage);

// How long after its `attempts`-th failure in a row (1 = the first) a step is tried again:
// 500 ms doubling, at most 30 s.
std::chrono::milliseconds RetryDelay(int attempts);

}  // namespace mercato::fulfillment
