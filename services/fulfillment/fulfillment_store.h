// Where the fulfillment worker keeps its shipments (one per paid order). The simulated
// carrier takes due shipments with ClaimDue, records each step with checkout, and then
// Advance()s them; PostgresFulfillmentStore is the implementation.
//
// Several replicas may run at once: ClaimDue takes rows with FOR UPDATE SKIP LOCKED and
// pushes their due time a lease ahead, so each shipment is worked on by one replica at a time,
// and every change is conditional on the state it was claimed in, so a replica that lost its
// lease (or a cancel that came in meanwhile) changes nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fulfillment/shipment_rules.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::fulfillment {

struct Shipment {
  std::string id;  // UUID
  std::string order_id;
  std::string user_id;
  ShipmentState state = ShipmentState::kCreated;
  std::string carrier;          // "" until packing is done
  std::string tracking_number;  // "" until then
  int attempts = 0;             // failed steps in a row
};

class FulfillmentStore {
 public:
  virtual ~FulfillmentStore() = default;

  // The next shipment due (not final, due time passed), its due time moved `lease` ahead;
  // nullopt when none is due.
  virtual absl::StatusOr<std::optional<Shipment>> ClaimDue(std::chrono::milliseconds lease) = 0;

  // Gives the shipment `carrier` and `tracking_number` unless it has them already; returns
  // the ones it has afterwards (a repeated step reuses the first).
  virtual absl::StatusOr<Shipment> AssignCarrier(const Shipment& shipment,
                                                 const std::string& carrier,
                                                 const std::string& tracking_number) = 0;

  // Moves the shipment from its state (as claimed) to `next`, due again after `due_in`, with
  // `event` (if any) in the outbox in the same transaction. false: it was no longer in that
  // state (nothing changed, no event).
  virtual absl::StatusOr<bool> Advance(const Shipment& shipment, ShipmentState next,
                                       std::chrono::milliseconds due_in,
                                       const std::optional<events::v1::Envelope>& event) = 0;

  // Counts a failed step and makes the shipment due again after `delay` (if still in its
  // claimed state).
  virtual absl::Status RetryLater(const Shipment& shipment, std::chrono::milliseconds delay) = 0;

  // The shipment of an order, if any.
  virtual absl::StatusOr<std::optional<Shipment>> FindByOrder(const std::string& order_id) = 0;
};

}  // namespace mercato::fulfillment
