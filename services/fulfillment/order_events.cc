#include "fulfillment/order_events.h"

#include <spdlog/spdlog.h>

#include "common/ids.h"

namespace mercato::fulfillment {

events::ConsumerOptions OrderEventConsumerOptions(events::ConsumerOptions base) {
  base.group = kOrderEventsGroup;
  base.topics = {events::kOrdersTopic};
  return base;
}

absl::Status ApplyOrderEvent(const events::v1::Envelope& event, pqxx::work& tx) {
  // A database error throws; the consumer's transaction turns it into a status.
  if (event.has_order_paid()) {
    const auto& paid = event.order_paid();
    if (!IsUuid(paid.order_id())) return absl::OkStatus();  // no order of checkout's
    tx.exec_params(
        "INSERT INTO shipments (id, order_id, user_id, state) VALUES ($1::uuid, $2::uuid, $3, "
        "'created') ON CONFLICT (order_id) DO NOTHING",
        NewUuid(), paid.order_id(), paid.user_id());
  } else if (event.has_order_cancelled()) {
    const auto& cancelled = event.order_cancelled();
    if (!IsUuid(cancelled.order_id())) return absl::OkStatus();
    tx.exec_params(
        "UPDATE shipments SET state = 'cancelled', updated_at = now() "
        "WHERE order_id = $1::uuid AND state IN ('created', 'packing')",
        cancelled.order_id());
  }
  return absl::OkStatus();
}

events::EventHandler FirstEventTimer::Wrap(events::EventHandler handler) {
  return [this, handler = std::move(handler)](const events::v1::Envelope& event,
                                              pqxx::work& tx) -> absl::Status {
    absl::Status s = handler(event, tx);
    if (s.ok() && !recorded_.load(std::memory_order_relaxed)) Record();
    return s;
  };
}

void FirstEventTimer::Record() {
  if (recorded_.exchange(true)) return;
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  spdlog::info("first event handled after {} ms", ms);
  metrics_.SetFirstEvent(std::chrono::duration<double>(elapsed).count());
}

}  // namespace mercato::fulfillment
