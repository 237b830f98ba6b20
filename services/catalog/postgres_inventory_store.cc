#include "catalog/postgres_inventory_store.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "catalog/product_events.h"
#include "catalog/store_rows.h"
#include "common/status.h"
#include "events/outbox.h"

namespace mercato::catalog {
namespace {

constexpr char kExpiresAtMs[] = "(extract(epoch FROM expires_at) * 1000)::bigint";

v1::ReservationState StateFromText(const std::string& state) {
  if (state == "held") return v1::RESERVATION_STATE_HELD;
  if (state == "committed") return v1::RESERVATION_STATE_COMMITTED;
  if (state == "released") return v1::RESERVATION_STATE_RELEASED;
  if (state == "expired") return v1::RESERVATION_STATE_EXPIRED;
  if (state == "returned") return v1::RESERVATION_STATE_RETURNED;
  return v1::RESERVATION_STATE_UNSPECIFIED;
}

// Final states in which the id can be neither reserved nor committed again.
bool IsClosed(v1::ReservationState state) {
  return state == v1::RESERVATION_STATE_RELEASED || state == v1::RESERVATION_STATE_EXPIRED ||
         state == v1::RESERVATION_STATE_RETURNED;
}

const char* ClosedAs(v1::ReservationState state) {
  switch (state) {
    case v1::RESERVATION_STATE_EXPIRED:
      return "expired";
    case v1::RESERVATION_STATE_RETURNED:
      return "returned";
    default:
      return "released";
  }
}

absl::Status ReservationClosed(const std::string& id, v1::ReservationState state) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_closed",
                       absl::StrCat("reservation '", id, "' was already ", ClosedAs(state)));
}

// The reservation with this id and its items (by product id), or nullopt. `for_update`
// locks the reservation row until the transaction ends.
std::optional<v1::Reservation> LoadReservation(pqxx::work& tx, const std::string& id,
                                               bool for_update) {
  auto rows = tx.exec_params(
      absl::StrCat("SELECT state, ", kExpiresAtMs, " FROM reservations WHERE id = $1",
                   for_update ? " FOR UPDATE" : ""),
      id);
  if (rows.empty()) return std::nullopt;
  v1::Reservation r;
  r.set_reservation_id(id);
  r.set_state(StateFromText(rows[0][0].as<std::string>()));
  r.set_expires_at_unix_ms(rows[0][1].as<int64_t>());
  for (const auto& row : tx.exec_params("SELECT product_id::text, quantity FROM reservation_items "
                                        "WHERE reservation_id = $1 ORDER BY product_id",
                                        id)) {
    auto* item = r.add_items();
    item->set_product_id(row[0].as<std::string>());
    item->set_quantity(row[1].as<int32_t>());
  }
  return r;
}

// LoadReservation with the row locked; NOT_FOUND "reservation_not_found" for an unknown id.
absl::StatusOr<v1::Reservation> LockedReservation(pqxx::work& tx, const std::string& id) {
  auto existing = LoadReservation(tx, id, /*for_update=*/true);
  if (!existing) {
    return ErrorWithCode(absl::StatusCode::kNotFound, "reservation_not_found",
                         absl::StrCat("no reservation '", id, "'"));
  }
  return *std::move(existing);
}

bool SameItems(const google::protobuf::RepeatedPtrField<v1::ReservationItem>& stored,
               const std::vector<v1::ReservationItem>& requested) {
  if (stored.size() != static_cast<int>(requested.size())) return false;
  for (int i = 0; i < stored.size(); ++i) {
    if (stored[i].product_id() != requested[i].product_id() ||
        stored[i].quantity() != requested[i].quantity()) {
      return false;
    }
  }
  return true;
}

// Ends a hold: the units stop being reserved; `sold` also takes them off the shelf (commit),
// else they are sellable again (release: StockChanged). Locks product rows in id order (items
// are sorted).
absl::Status EndHold(pqxx::work& tx,
                     const google::protobuf::RepeatedPtrField<v1::ReservationItem>& items,
                     bool sold, int64_t low_stock_threshold) {
  for (const auto& item : items) {
    auto rows = tx.exec_params(
        "UPDATE products SET reserved = reserved - $2, "
        "on_hand = on_hand - CASE WHEN $3::boolean THEN $2 ELSE 0 END WHERE id = $1::uuid "
        "RETURNING stock",
        item.product_id(), static_cast<int64_t>(item.quantity()), sold);
    // A sale takes the units off on hand and reserved alike: what can be bought is unchanged.
    if (sold || rows.empty()) continue;
    absl::Status s =
        AppendStockChanged(tx, item.product_id(), rows[0][0].as<int64_t>(), low_stock_threshold);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Puts a committed reservation's units back on hand (sellable again: StockChanged). Locks
// product rows in id order (items are sorted).
absl::Status PutBackOnHand(pqxx::work& tx,
                           const google::protobuf::RepeatedPtrField<v1::ReservationItem>& items,
                           int64_t low_stock_threshold) {
  for (const auto& item : items) {
    auto rows = tx.exec_params(
        "UPDATE products SET on_hand = on_hand + $2 WHERE id = $1::uuid RETURNING stock",
        item.product_id(), static_cast<int64_t>(item.quantity()));
    if (rows.empty()) continue;  // products are never deleted; nothing to put back on
    absl::Status s =
        AppendStockChanged(tx, item.product_id(), rows[0][0].as<int64_t>(), low_stock_threshold);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void SetState(pqxx::work& tx, const std::string& id, const char* state) {
  tx.exec_params("UPDATE reservations SET state = $2, updated_at = now() WHERE id = $1", id,
                 std::string(state));
}

std::string ItemsJson(const std::vector<v1::ReservationItem>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    nlohmann::json line = nlohmann::json::object();
    line["product_id"] = item.product_id();
    line["quantity"] = item.quantity();
    out.push_back(std::move(line));
  }
  return out.dump();
}

// A ReserveStock whose id is taken already (a retry): the reservation as it stands, unchanged,
// when it is still held with the same items.
absl::Status ExistingReservation(pqxx::work& tx, const std::string& reservation_id,
                                 const std::vector<v1::ReservationItem>& items,
                                 ReservationChange& result) {
  auto existing = LoadReservation(tx, reservation_id, /*for_update=*/false);
  if (!existing) return absl::AbortedError("reservation vanished while being read");
  if (IsClosed(existing->state())) return ReservationClosed(reservation_id, existing->state());
  if (!SameItems(existing->items(), items)) {
    return ErrorWithCode(
        absl::StatusCode::kFailedPrecondition, "reservation_mismatch",
        absl::StrCat("reservation '", reservation_id, "' exists with other items"));
  }
  result.reservation = *std::move(existing);
  return absl::OkStatus();
}

// Takes each item's quantity from its product's free stock. Row locks in product id order
// (`items` is sorted): two reservations never wait for each other in a cycle. An error
// (unknown product, out_of_stock) rolls back every item taken so far.
absl::Status TakeStock(pqxx::work& tx, const std::vector<v1::ReservationItem>& items,
                       int64_t low_stock_threshold) {
  for (const auto& item : items) {
    const int64_t quantity = item.quantity();
    auto taken = tx.exec_params(
        "UPDATE products SET reserved = reserved + $2 "
        "WHERE id = $1::uuid AND on_hand - reserved >= $2 RETURNING stock",
        item.product_id(), quantity);
    if (!taken.empty()) {
      absl::Status s =
          AppendStockChanged(tx, item.product_id(), taken[0][0].as<int64_t>(), low_stock_threshold);
      if (!s.ok()) return s;
      continue;
    }
    auto row = tx.exec_params("SELECT stock FROM products WHERE id = $1::uuid", item.product_id());
    if (row.empty()) return ProductNotFound(item.product_id());
    return ErrorWithCode(
        absl::StatusCode::kFailedPrecondition, "out_of_stock",
        absl::StrCat("not enough stock for product ", item.product_id(), ": ", quantity,
                     " requested, ", row[0][0].as<int64_t>(), " available"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReservationChange> PostgresInventoryStore::ReserveStock(
    const std::string& reservation_id, const std::vector<v1::ReservationItem>& requested,
    std::chrono::seconds ttl) {
  // The caller sorts; sorting again here keeps the lock order whatever a caller does.
  std::vector<v1::ReservationItem> items = requested;
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.product_id() < b.product_id(); });
  ReservationChange result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = {};
    // A concurrent ReserveStock with the same id waits here until the first one commits or
    // rolls back, so one id never takes stock twice.
    auto inserted =
        tx.exec_params(absl::StrCat("INSERT INTO reservations (id, state, expires_at) "
                                    "VALUES ($1, 'held', now() + $2::int * interval '1 second') "
                                    "ON CONFLICT (id) DO NOTHING RETURNING ",
                                    kExpiresAtMs),
                       reservation_id, static_cast<int>(ttl.count()));
    if (inserted.empty()) return ExistingReservation(tx, reservation_id, items, result);
    if (absl::Status s = TakeStock(tx, items, low_stock_threshold_); !s.ok()) return s;
    tx.exec_params(
        "INSERT INTO reservation_items (reservation_id, product_id, quantity) "
        "SELECT $1, (e->>'product_id')::uuid, (e->>'quantity')::int "
        "FROM jsonb_array_elements($2::jsonb) AS e",
        reservation_id, ItemsJson(items));
    result.changed = true;
    result.reservation.set_reservation_id(reservation_id);
    result.reservation.set_state(v1::RESERVATION_STATE_HELD);
    result.reservation.set_expires_at_unix_ms(inserted[0][0].as<int64_t>());
    for (const auto& item : items) *result.reservation.add_items() = item;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ReservationChange> PostgresInventoryStore::CommitReservation(
    const std::string& reservation_id) {
  ReservationChange result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = {};
    // Locked, so that a concurrent sweep or release sees the commit (or waits for it).
    auto existing = LockedReservation(tx, reservation_id);
    if (!existing.ok()) return existing.status();
    if (IsClosed(existing->state())) return ReservationClosed(reservation_id, existing->state());
    if (existing->state() == v1::RESERVATION_STATE_HELD) {
      if (absl::Status s = EndHold(tx, existing->items(), /*sold=*/true, low_stock_threshold_);
          !s.ok()) {
        return s;
      }
      SetState(tx, reservation_id, "committed");
      existing->set_state(v1::RESERVATION_STATE_COMMITTED);
      result.changed = true;
    }
    result.reservation = *std::move(existing);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ReservationChange> PostgresInventoryStore::ReleaseReservation(
    const std::string& reservation_id) {
  ReservationChange result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = {};
    // Twice at most: when the id is unknown and a ReserveStock creates it concurrently, the
    // tombstone insert finds it and the second pass releases what was reserved.
    for (int pass = 0; pass < 2; ++pass) {
      auto existing = LoadReservation(tx, reservation_id, /*for_update=*/true);
      if (!existing) {
        auto tombstone = tx.exec_params(
            absl::StrCat("INSERT INTO reservations (id, state, expires_at) "
                         "VALUES ($1, 'released', now()) ON CONFLICT (id) DO NOTHING "
                         "RETURNING ",
                         kExpiresAtMs),
            reservation_id);
        if (tombstone.empty()) continue;
        result.changed = true;
        result.reservation.set_reservation_id(reservation_id);
        result.reservation.set_state(v1::RESERVATION_STATE_RELEASED);
        result.reservation.set_expires_at_unix_ms(tombstone[0][0].as<int64_t>());
        return absl::OkStatus();
      }
      // Returned: it was committed (sold) first; its stock is back on hand already.
      if (existing->state() == v1::RESERVATION_STATE_COMMITTED ||
          existing->state() == v1::RESERVATION_STATE_RETURNED) {
        return ErrorWithCode(
            absl::StatusCode::kFailedPrecondition, "reservation_committed",
            absl::StrCat("reservation '", reservation_id, "' is committed; its stock is sold"));
      }
      if (existing->state() == v1::RESERVATION_STATE_HELD) {
        if (absl::Status s = EndHold(tx, existing->items(), /*sold=*/false, low_stock_threshold_);
            !s.ok()) {
          return s;
        }
        SetState(tx, reservation_id, "released");
        existing->set_state(v1::RESERVATION_STATE_RELEASED);
        result.changed = true;
      }
      result.reservation = *std::move(existing);
      return absl::OkStatus();
    }
    return absl::AbortedError("reservation changed concurrently; retry");
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ReservationChange> PostgresInventoryStore::ReturnStock(
    const std::string& reservation_id) {
  ReservationChange result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = {};
    // Locked: concurrent returns of one id queue here, and the later ones find it returned.
    auto existing = LockedReservation(tx, reservation_id);
    if (!existing.ok()) return existing.status();
    if (existing->state() == v1::RESERVATION_STATE_COMMITTED) {
      if (absl::Status s = PutBackOnHand(tx, existing->items(), low_stock_threshold_); !s.ok()) {
        return s;
      }
      SetState(tx, reservation_id, "returned");
      existing->set_state(v1::RESERVATION_STATE_RETURNED);
      result.changed = true;
    } else if (existing->state() != v1::RESERVATION_STATE_RETURNED) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "reservation_not_committed",
                           absl::StrCat("reservation '", reservation_id, "' is not committed"));
    }
    result.reservation = *std::move(existing);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ExpiredReservations> PostgresInventoryStore::ExpireReservations(int limit) {
  ExpiredReservations result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = {};
    // SKIP LOCKED: rows that a commit, a release or another replica's sweep holds are left
    // to them.
    auto expired = tx.exec_params(
        "WITH due AS (SELECT id FROM reservations WHERE state = 'held' AND expires_at <= now() "
        "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "UPDATE reservations r SET state = 'expired', updated_at = now() FROM due "
        "WHERE r.id = due.id RETURNING r.id",
        limit);
    if (expired.empty()) return absl::OkStatus();
    std::vector<std::string> ids;
    for (const auto& row : expired) ids.push_back(row[0].as<std::string>());
    auto totals = tx.exec_params(
        "SELECT product_id::text, sum(quantity)::bigint FROM reservation_items "
        "WHERE reservation_id IN (SELECT jsonb_array_elements_text($1::jsonb)) "
        "GROUP BY product_id ORDER BY product_id",
        nlohmann::json(ids).dump());
    for (const auto& row : totals) {
      const std::string product_id = row[0].as<std::string>();
      auto returned = tx.exec_params(
          "UPDATE products SET reserved = reserved - $2 WHERE id = $1::uuid RETURNING stock",
          product_id, row[1].as<int64_t>());
      if (!returned.empty()) {
        absl::Status s =
            AppendStockChanged(tx, product_id, returned[0][0].as<int64_t>(), low_stock_threshold_);
        if (!s.ok()) return s;
      }
      result.product_ids.push_back(product_id);
    }
    result.reservations = static_cast<int>(ids.size());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace mercato::catalog
