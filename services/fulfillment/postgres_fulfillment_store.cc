#include "fulfillment/postgres_fulfillment_store.h"

#include "events/outbox.h"

namespace mercato::fulfillment {
namespace {

constexpr char kShipmentColumns[] =
    "id::text, order_id::text, user_id, state, coalesce(carrier, ''), "
    "coalesce(tracking_number, ''), attempts";

Shipment ShipmentOf(const pqxx::row& row) {
  Shipment s;
  s.id = row[0].as<std::string>();
  s.order_id = row[1].as<std::string>();
  s.user_id = row[2].as<std::string>();
  s.state = ParseState(row[3].as<std::string>()).value_or(ShipmentState::kCancelled);
  s.carrier = row[4].as<std::string>();
  s.tracking_number = row[5].as<std::string>();
  s.attempts = row[6].as<int>();
  return s;
}

}  // namespace

absl::StatusOr<std::optional<Shipment>> PostgresFulfillmentStore::ClaimDue(
    std::chrono::milliseconds lease) {
  std::optional<Shipment> out;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        std::string("UPDATE shipments SET due_at = now() + $1 * interval '1 millisecond' "
                    "WHERE id = (SELECT id FROM shipments "
                    "WHERE state IN ('created', 'packing', 'shipped') AND due_at <= now() "
                    "ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") +
            kShipmentColumns,
        static_cast<int64_t>(lease.count()));
    if (!r.empty()) out = ShipmentOf(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Shipment> PostgresFulfillmentStore::AssignCarrier(
    const Shipment& shipment, const std::string& carrier, const std::string& tracking_number) {
  Shipment out;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        std::string("UPDATE shipments SET carrier = coalesce(carrier, $2), "
                    "tracking_number = coalesce(tracking_number, $3), updated_at = now() "
                    "WHERE id = $1::uuid RETURNING ") +
            kShipmentColumns,
        shipment.id, carrier, tracking_number);
    if (r.empty()) return absl::NotFoundError("no such shipment");
    out = ShipmentOf(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<bool> PostgresFulfillmentStore::Advance(
    const Shipment& shipment, ShipmentState next, std::chrono::milliseconds due_in,
    const std::optional<events::v1::Envelope>& event) {
  bool moved = false;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        "UPDATE shipments SET state = $3, attempts = 0, updated_at = now(), "
        "due_at = now() + $4 * interval '1 millisecond' WHERE id = $1::uuid AND state = $2",
        shipment.id, std::string(StateName(shipment.state)), std::string(StateName(next)),
        static_cast<int64_t>(due_in.count()));
    moved = r.affected_rows() == 1;
    // After the UPDATE (which locks the shipment): the outbox keeps the order's event order.
    if (moved && event.has_value()) return events::AppendToOutbox(tx, *event);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return moved;
}

absl::Status PostgresFulfillmentStore::RetryLater(const Shipment& shipment,
                                                  std::chrono::milliseconds delay) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE shipments SET attempts = attempts + 1, "
        "due_at = now() + $3 * interval '1 millisecond' WHERE id = $1::uuid AND state = $2",
        shipment.id, std::string(StateName(shipment.state)), static_cast<int64_t>(delay.count()));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<Shipment>> PostgresFulfillmentStore::FindByOrder(
    const std::string& order_id) {
  std::optional<Shipment> out;
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        std::string("SELECT ") + kShipmentColumns + " FROM shipments WHERE order_id::text = $1",
        order_id);
    if (!r.empty()) out = ShipmentOf(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace mercato::fulfillment
