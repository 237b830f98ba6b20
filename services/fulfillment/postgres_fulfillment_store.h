// FulfillmentStore on PostgreSQL (the fulfillment database: migrations/*.sql, the outbox and
// the inbox of libs/events). The order events' side (OrderPaid creates a shipment,
// OrderCancelled cancels it) runs inside the consumer's transaction: order_events.h.
#pragma once

#include <vector>

#include "common/embedded_file.h"
#include "db/pg_pool.h"
#include "fulfillment/fulfillment_store.h"

namespace mercato::fulfillment {

class PostgresFulfillmentStore : public FulfillmentStore {
 public:
  explicit PostgresFulfillmentStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<Shipment>> ClaimDue(std::chrono::milliseconds lease) override;
  absl::StatusOr<Shipment> AssignCarrier(const Shipment& shipment, const std::string& carrier,
                                         const std::string& tracking_number) override;
  absl::StatusOr<bool> Advance(const Shipment& shipment, ShipmentState next,
                               std::chrono::milliseconds due_in,
                               const std::optional<events::v1::Envelope>& event) override;
  absl::Status RetryLater(const Shipment& shipment, std::chrono::milliseconds delay) override;
  absl::StatusOr<std::optional<Shipment>> FindByOrder(const std::string& order_id) override;

 private:
  PgPool& pool_;
};

// The fulfillment database's schema: its own files and the outbox and inbox as 002 and 003.
const std::vector<EmbeddedFile>& Migrations();

}  // namespace mercato::fulfillment
