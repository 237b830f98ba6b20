#include "checkout/postgres_checkout_store.h"

#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checkout/order_events.h"
#include "checkout/order_lifecycle_rules.h"
#include "common/ids.h"
#include "common/status.h"
#include "events/outbox.h"

namespace mercato::checkout {
namespace {

constexpr char kColumns[] =
    "id::text, user_id, idempotency_key, request_fingerprint, step, currency, subtotal, "
    "shipping, tax, total, ship_address_id, ship_name, ship_line1, ship_line2, ship_city, "
    "ship_region, ship_postal_code, ship_country, payment_id, card_brand, card_last4, "
    "failure_code, failure_status, failure_message, "
    "(extract(epoch FROM created_at) * 1000)::bigint, "
    "(extract(epoch FROM updated_at) * 1000000)::bigint, seq, cart_revision, status, stage, "
    "refunded, refund_reserved, cancel_step, cancel_amount";

// The first key of the two-key advisory locks that serialise one user's CreateOrder calls
// (the second is a hash of the user id).
constexpr int kUserOrderLockClass = 0x63686b31;  // "chk1"

// The database's name of an order status.
const char* StatusName(OrderStep step) {
  switch (StatusOfStep(step)) {
    case v1::ORDER_STATUS_PAID:
      return "paid";
    case v1::ORDER_STATUS_FAILED:
      return "failed";
    default:
      return "pending";
  }
}

absl::Status NotFound() {
  return ErrorWithCode(absl::StatusCode::kNotFound, "order_not_found", "no such order");
}

absl::Status LeaseLost() {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "lease_lost",
                       "the order is no longer pending or is driven by someone else");
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }
// For the statements of every order (an integer is cheaper to write out than a double).
int64_t Micros(absl::Duration d) { return absl::ToInt64Microseconds(d); }

void SetRowMoney(common::v1::Money* money, int64_t amount, const std::string& currency) {
  money->set_amount(amount);
  money->set_currency(currency);
}

absl::StatusOr<OrderRecord> RecordFromRow(const pqxx::row& row) {
  OrderRecord r;
  v1::Order& o = r.order;
  o.set_id(row[0].as<std::string>());
  o.set_user_id(row[1].as<std::string>());
  r.idempotency_key = row[2].as<std::string>();
  r.request_fingerprint = row[3].as<std::string>();
  auto step = StepFromName(row[4].as<std::string>());
  if (!step) return absl::InternalError("order row with an unknown step");
  r.step = *step;
  o.set_status(StatusOfStep(*step));
  const std::string currency = row[5].as<std::string>();
  SetRowMoney(o.mutable_subtotal(), row[6].as<int64_t>(), currency);
  SetRowMoney(o.mutable_shipping(), row[7].as<int64_t>(), currency);
  SetRowMoney(o.mutable_tax(), row[8].as<int64_t>(), currency);
  SetRowMoney(o.mutable_total(), row[9].as<int64_t>(), currency);
  common::v1::Address* a = o.mutable_shipping_address();
  a->set_id(row[10].as<std::string>());
  a->set_name(row[11].as<std::string>());
  a->set_line1(row[12].as<std::string>());
  a->set_line2(row[13].as<std::string>());
  a->set_city(row[14].as<std::string>());
  a->set_region(row[15].as<std::string>());
  a->set_postal_code(row[16].as<std::string>());
  a->set_country(row[17].as<std::string>());
  o.set_payment_id(row[18].as<std::string>());
  o.set_card_brand(row[19].as<std::string>());
  o.set_card_last4(row[20].as<std::string>());
  o.set_failure_code(row[21].as<std::string>());
  r.failure_status = static_cast<absl::StatusCode>(row[22].as<int>());
  r.failure_message = row[23].as<std::string>();
  o.set_created_at_unix_ms(row[24].as<int64_t>());
  r.updated_at = absl::FromUnixMicros(row[25].as<int64_t>());
  r.seq = row[26].as<int64_t>();
  r.cart_revision = row[27].as<std::string>();
  auto status = OrderStatusFromName(row[28].as<std::string>());
  auto stage = StageFromName(row[29].as<std::string>());
  auto cancel_step = CancelStepFromName(row[32].as<std::string>());
  if (!status || !stage || !cancel_step) {
    return absl::InternalError("order row with an unknown status, stage or cancel step");
  }
  o.set_status(*status);
  r.stage = *stage;
  SetRowMoney(o.mutable_refunded(), row[30].as<int64_t>(), currency);
  r.refund_reserved = row[31].as<int64_t>();
  r.cancel_step = *cancel_step;
  r.cancel_amount = row[33].as<int64_t>();
  o.set_cancellable(Cancellable(r));
  return r;
}

template <typename Txn>
absl::StatusOr<std::vector<OrderRecord>> RecordsFromRows(Txn&, const pqxx::result& rows) {
  std::vector<OrderRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    auto r = RecordFromRow(row);
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

// Runs `sql` (its $1: the ids of `records` as a uuid[]; its first column: the order id) and
// hands each row to `on_row` with the record it belongs to: one query for all the records.
template <typename Txn, typename OnRow>
void ForEachOrderRow(Txn& tx, std::vector<OrderRecord>& records, const char* sql, OnRow&& on_row) {
  if (records.empty()) return;
  std::vector<std::string> ids;
  std::map<std::string, OrderRecord*> by_id;
  for (auto& r : records) {
    ids.push_back(r.order.id());
    by_id[r.order.id()] = &r;
  }
  // Canonical UUIDs only (they came from the uuid column), so the array literal needs no
  // quoting.
  pqxx::result rows = tx.exec_params(sql, absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
  for (const auto& row : rows) on_row(*by_id.at(row[0].as<std::string>()), row);
}

// Loads the items of `records`.
template <typename Txn>
void LoadItems(Txn& tx, std::vector<OrderRecord>& records) {
  for (auto& r : records) r.order.clear_items();
  ForEachOrderRow(tx, records,
                  "SELECT order_id::text, product_id, name, quantity, unit_price, line_total "
                  "FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no",
                  [](OrderRecord& r, const pqxx::row& row) {
                    const std::string& currency = r.order.total().currency();
                    v1::OrderItem* item = r.order.add_items();
                    item->set_product_id(row[1].as<std::string>());
                    item->set_name(row[2].as<std::string>());
                    item->set_quantity(row[3].as<int>());
                    SetRowMoney(item->mutable_unit_price(), row[4].as<int64_t>(), currency);
                    SetRowMoney(item->mutable_line_total(), row[5].as<int64_t>(), currency);
                  });
}

// Loads the timelines of `records`.
template <typename Txn>
void LoadTimelines(Txn& tx, std::vector<OrderRecord>& records) {
  for (auto& r : records) r.order.clear_timeline();
  ForEachOrderRow(
      tx, records,
      "SELECT order_id::text, status, (extract(epoch FROM at) * 1000)::bigint, carrier, "
      "tracking_number, amount FROM order_timeline WHERE order_id = ANY($1::uuid[]) "
      "ORDER BY order_id, id",
      [](OrderRecord& r, const pqxx::row& row) {
        v1::TimelineEntry* entry = r.order.add_timeline();
        entry->set_status(
            OrderStatusFromName(row[1].as<std::string>()).value_or(v1::ORDER_STATUS_UNSPECIFIED));
        entry->set_at_unix_ms(row[2].as<int64_t>());
        entry->set_carrier(row[3].as<std::string>());
        entry->set_tracking_number(row[4].as<std::string>());
        const int64_t amount = row[5].as<int64_t>();
        if (amount > 0) SetRowMoney(entry->mutable_amount(), amount, r.order.total().currency());
      });
}

// Loads the items, timelines and status histories of `records` (GetOrder's view).
template <typename Txn>
void LoadDetails(Txn& tx, std::vector<OrderRecord>& records) {
  LoadItems(tx, records);
  LoadTimelines(tx, records);
  for (auto& r : records) r.order.clear_history();
  ForEachOrderRow(tx, records,
                  "SELECT order_id::text, status, step, detail, "
                  "(extract(epoch FROM created_at) * 1000)::bigint FROM order_status_history "
                  "WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, id",
                  [](OrderRecord& r, const pqxx::row& row) {
                    v1::OrderStatusChange* change = r.order.add_history();
                    auto step = StepFromName(row[2].as<std::string>());
                    change->set_status(step ? StatusOfStep(*step) : v1::ORDER_STATUS_UNSPECIFIED);
                    change->set_step(row[2].as<std::string>());
                    change->set_detail(row[3].as<std::string>());
                    change->set_at_unix_ms(row[4].as<int64_t>());
                  });
}

void InsertTimeline(pqxx::work& tx, const std::string& order_id, v1::OrderStatus status,
                    int64_t amount, const std::string& carrier = "",
                    const std::string& tracking_number = "") {
  tx.exec_params(
      "INSERT INTO order_timeline (order_id, status, amount, carrier, tracking_number) "
      "VALUES ($1::uuid, $2, $3, $4, $5)",
      order_id, std::string(OrderStatusName(status)), amount, carrier, tracking_number);
}

// The order, locked FOR UPDATE until the transaction ends; with items when `items`.
absl::StatusOr<OrderRecord> LockOrder(pqxx::work& tx, const std::string& id, bool items = false) {
  if (!IsUuid(id)) return NotFound();
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kColumns, " FROM orders WHERE id = $1::uuid FOR UPDATE"), id);
  auto records = RecordsFromRows(tx, rows);
  if (!records.ok()) return records.status();
  if (records->empty()) return NotFound();
  if (items) LoadItems(tx, *records);
  return std::move(records->front());
}

template <typename Txn>
absl::StatusOr<std::optional<OrderRecord>> SelectByKey(Txn& tx, const std::string& user_id,
                                                       const std::string& key) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kColumns, " FROM orders WHERE user_id = $1 AND idempotency_key = $2"),
      user_id, key);
  auto records = RecordsFromRows(tx, rows);
  if (!records.ok()) return records.status();
  if (records->empty()) return std::optional<OrderRecord>();
  LoadItems(tx, *records);
  return std::optional<OrderRecord>(std::move(records->front()));
}

// CreateOrder's two checks in one statement: the user's order with `key` if there is one
// (with items), else, when `revision` is not empty, the user's order that holds cart revision
// `revision` and has not failed (without items), else nullopt.
absl::StatusOr<std::optional<OrderRecord>> SelectTaken(pqxx::work& tx, const std::string& user_id,
                                                       const std::string& key,
                                                       const std::string& revision) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                  " FROM orders WHERE user_id = $1 AND (idempotency_key = $2 OR "
                                  "($3 <> '' AND cart_revision = $3 AND status <> 'failed')) "
                                  "ORDER BY idempotency_key = $2 DESC LIMIT 1"),
                     user_id, key, revision);
  auto records = RecordsFromRows(tx, rows);
  if (!records.ok()) return records.status();
  if (records->empty()) return std::optional<OrderRecord>();
  if (records->front().idempotency_key == key) LoadItems(tx, *records);
  return std::optional<OrderRecord>(std::move(records->front()));
}

// The items of `order` for InsertOrder: a JSON array with one array per line (line number,
// product id, name, quantity, unit price, line total).
std::string ItemsJson(const v1::Order& order) {
  nlohmann::json items = nlohmann::json::array();
  int line_no = 0;
  for (const auto& item : order.items()) {
    items.push_back(
        nlohmann::json::array({line_no++, item.product_id(), item.name(), item.quantity(),
                               item.unit_price().amount(), item.line_total().amount()}));
  }
  return items.dump();
}

// Inserts a new order with its items and first history row, in one statement (the caller
// checked that neither its key nor its cart revision is taken).
absl::StatusOr<OrderRecord> InsertOrder(pqxx::work& tx, const OrderRecord& order,
                                        const std::string& lease_owner, absl::Duration lease) {
  const v1::Order& o = order.order;
  const common::v1::Address& a = o.shipping_address();
  const bool terminal = IsTerminal(order.step);
  pqxx::result inserted = tx.exec_params(
      absl::StrCat(
          "WITH o AS (INSERT INTO orders (id, user_id, idempotency_key, request_fingerprint, "
          "status, step, item_count, currency, subtotal, shipping, tax, total, ship_address_id, "
          "ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, "
          "ship_country, failure_code, failure_status, failure_message, lease_owner, "
          "lease_until, cart_revision) "
          "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
          "$17, $18, $19, $20, $21, $22, $23, $24, "
          "now() + $25::bigint * interval '1 microsecond', $26) RETURNING ",
          kColumns,
          "), items AS (INSERT INTO order_items (order_id, line_no, product_id, name, quantity, "
          "unit_price, line_total) SELECT $1::uuid, (l->>0)::int, l->>1, l->>2, (l->>3)::int, "
          "(l->>4)::bigint, (l->>5)::bigint FROM o, jsonb_array_elements($27::jsonb) AS l), "
          "history AS (INSERT INTO order_status_history (order_id, status, step, detail) "
          "SELECT $1::uuid, $5, $6, $28 FROM o) "
          "SELECT * FROM o"),
      o.id(), o.user_id(), order.idempotency_key, order.request_fingerprint, StatusName(order.step),
      std::string(StepName(order.step)), o.items_size(), o.total().currency(),
      o.subtotal().amount(), o.shipping().amount(), o.tax().amount(), o.total().amount(), a.id(),
      a.name(), a.line1(), a.line2(), a.city(), a.region(), a.postal_code(), a.country(),
      o.failure_code(), static_cast<int>(order.failure_status), order.failure_message,
      terminal ? std::string() : lease_owner, terminal ? 0 : Micros(lease), order.cart_revision,
      ItemsJson(o), order.step == OrderStep::kFailed ? o.failure_code() : "order created");
  auto record = RecordFromRow(inserted[0]);
  if (!record.ok()) return record.status();
  *record->order.mutable_items() = o.items();
  return record;
}

}  // namespace

absl::StatusOr<CreateOrderResult> PostgresCheckoutStore::CreateOrder(const OrderRecord& order,
                                                                     const std::string& lease_owner,
                                                                     absl::Duration lease) {
  if (!IsUuid(order.order.id())) return absl::InvalidArgumentError("order id must be a UUID");
  const std::string& user_id = order.order.user_id();
  CreateOrderResult result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = CreateOrderResult();
    // One user's orders are created one at a time: concurrent checkouts of one cart revision
    // see each other's order here.
    // (A statement of its own: each statement of a READ COMMITTED transaction reads a fresh
    // snapshot, so the next one sees what the lock's previous holder committed.)
    tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kUserOrderLockClass, user_id);
    const bool priced = order.step == OrderStep::kPriced;
    auto taken = SelectTaken(tx, user_id, order.idempotency_key,
                             priced ? order.cart_revision : std::string());
    if (!taken.ok()) return taken.status();
    if (taken->has_value()) {
      if ((*taken)->idempotency_key == order.idempotency_key) {
        result.record = **std::move(taken);
      } else {
        result.cart_ordered_at = (*taken)->step;
      }
      return absl::OkStatus();
    }
    auto inserted = InsertOrder(tx, order, lease_owner, lease);
    if (!inserted.ok()) return inserted.status();
    // A priced order starts its saga: OrderPlaced, in this transaction (order_events.h).
    if (order.step == OrderStep::kPriced) {
      absl::Status appended = events::AppendToOutbox(tx, OrderPlacedEvent(*inserted));
      if (!appended.ok()) return appended;
    }
    result.record = *std::move(inserted);
    result.created = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::optional<OrderRecord>> PostgresCheckoutStore::FindByIdempotencyKey(
    const std::string& user_id, const std::string& idempotency_key) {
  std::optional<OrderRecord> found;
  // No transaction: the row is read by one statement, and an order's items never change
  // after the statement that inserted them with it.
  absl::Status status =
      pool_.Transact<pqxx::nontransaction>([&](pqxx::nontransaction& tx) -> absl::Status {
        auto one = SelectByKey(tx, user_id, idempotency_key);
        if (!one.ok()) return one.status();
        found = *std::move(one);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return found;
}

namespace {

// Advance's statement: the move (only for the lease holder, $2, of a pending order), its
// history row (and, for PAID, its timeline entry), and, unless $13 (the step waits for the
// disk), synchronous_commit off for this transaction only. Returns updated_at in
// microseconds; no row when the lease is lost.
constexpr char kAdvanceSql[] =
    "WITH moved AS (UPDATE orders SET step = $3, status = $4, "
    "payment_id = CASE WHEN $5 = '' THEN payment_id ELSE $5 END, "
    "card_brand = CASE WHEN $6 = '' THEN card_brand ELSE $6 END, "
    "card_last4 = CASE WHEN $7 = '' THEN card_last4 ELSE $7 END, "
    "failure_code = $8, failure_status = $9, failure_message = $10, "
    "lease_until = CASE WHEN $4 = 'pending' "
    "  THEN now() + $11::bigint * interval '1 microsecond' ELSE now() END, "
    "lease_owner = CASE WHEN $4 = 'pending' THEN lease_owner ELSE '' END, "
    "updated_at = now() "
    "WHERE id = $1::uuid AND lease_owner = $2 AND status = 'pending' "
    "RETURNING id, updated_at), "
    "logged AS (INSERT INTO order_status_history (order_id, status, step, detail) "
    "SELECT id, $4, $3, $12 FROM moved), "
    "timeline AS (INSERT INTO order_timeline (order_id, status) "
    "SELECT id, 'paid' FROM moved WHERE $4 = 'paid') "
    "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint, "
    "CASE WHEN $13::boolean THEN '' "
    "ELSE set_config('synchronous_commit', 'off', true) END FROM moved";

}  // namespace

absl::Status PostgresCheckoutStore::Advance(OrderRecord& order, const std::string& lease_owner,
                                            const StepUpdate& update, absl::Duration lease) {
  // An intermediate step need not wait for the disk: if a database crash loses it, the order
  // is found at an earlier step, and recovery reads the other services' state (payment by
  // idempotency key, reservation by order id) instead of trusting the step. Creating an order
  // and its terminal state wait, as every answer a client sees does.
  const bool wait_for_disk = IsTerminal(update.step);
  std::optional<events::v1::Envelope> event = OrderStepEvent(order, update);
  int64_t updated_at_us = 0;
  auto move = [&](auto& tx) -> absl::Status {
    // One statement: the move (only for the lease holder of a pending order), its history row
    // (and, for PAID, its timeline entry), and synchronous_commit for this transaction only.
    pqxx::result moved = tx.exec_params(
        kAdvanceSql, order.order.id(), lease_owner, std::string(StepName(update.step)),
        StatusName(update.step), update.payment_id, update.card_brand, update.card_last4,
        update.failure_code, static_cast<int>(update.failure_status), update.failure_message,
        Micros(lease), update.detail, wait_for_disk);
    if (moved.empty()) return LeaseLost();
    updated_at_us = moved[0][0].as<int64_t>();
    // After the UPDATE that locked the order: its events stay in commit order.
    return event ? events::AppendToOutbox(tx, *event) : absl::OkStatus();
  };
  // A step without an event is that one statement, committed on its own (set_config's
  // setting holds for the statement's implicit transaction, commit included); a step with
  // one commits the event with it.
  absl::Status status = event ? pool_.Transact(move) : pool_.Transact<pqxx::nontransaction>(move);
  if (!status.ok()) return status;
  order.step = update.step;
  order.order.set_status(StatusOfStep(update.step));
  order.order.set_cancellable(Cancellable(order));
  order.order.mutable_refunded()->set_currency(order.order.total().currency());
  if (update.step == OrderStep::kPaid) {
    // What the timeline row just inserted says (the answer to PlaceOrder shows it).
    v1::TimelineEntry* paid = order.order.add_timeline();
    paid->set_status(v1::ORDER_STATUS_PAID);
    paid->set_at_unix_ms(updated_at_us / 1000);
  }
  if (!update.payment_id.empty()) order.order.set_payment_id(update.payment_id);
  if (!update.card_brand.empty()) order.order.set_card_brand(update.card_brand);
  if (!update.card_last4.empty()) order.order.set_card_last4(update.card_last4);
  order.order.set_failure_code(update.failure_code);
  order.failure_status = update.failure_status;
  order.failure_message = update.failure_message;
  order.updated_at = absl::FromUnixMicros(updated_at_us);
  return absl::OkStatus();
}

absl::Status PostgresCheckoutStore::ReleaseLease(const std::string& order_id,
                                                 const std::string& lease_owner) {
  if (!IsUuid(order_id)) return absl::OkStatus();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE orders SET lease_until = now() "
        "WHERE id = $1::uuid AND lease_owner = $2 AND status = 'pending'",
        order_id, lease_owner);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<OrderRecord>> PostgresCheckoutStore::ClaimStalled(
    const std::string& lease_owner, absl::Duration lease, int limit) {
  std::vector<OrderRecord> claimed;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("WITH due AS (SELECT id FROM orders WHERE status = 'pending' AND "
                     "lease_until < now() ORDER BY lease_until LIMIT $3 "
                     "FOR UPDATE SKIP LOCKED) "
                     "UPDATE orders SET lease_owner = $1, "
                     "lease_until = now() + $2::float8 * interval '1 millisecond', "
                     "recovery_attempts = recovery_attempts + 1 "
                     "FROM due WHERE orders.id = due.id RETURNING ",
                     // Qualified: "id" alone would be ambiguous next to due.id.
                     absl::StrCat("orders.", kColumns)),
        lease_owner, Millis(lease), limit);
    auto records = RecordsFromRows(tx, rows);
    if (!records.ok()) return records.status();
    claimed = *std::move(records);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::StatusOr<OrderRecord> PostgresCheckoutStore::GetOrder(const std::string& id) {
  if (!IsUuid(id)) return NotFound();
  std::optional<OrderRecord> found;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        found.reset();
        pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kColumns, " FROM orders WHERE id = $1::uuid"), id);
        auto records = RecordsFromRows(tx, rows);
        if (!records.ok()) return records.status();
        if (records->empty()) return absl::OkStatus();
        LoadDetails(tx, *records);
        found = std::move(records->front());
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!found) return NotFound();
  return *std::move(found);
}

absl::StatusOr<std::vector<OrderRecord>> PostgresCheckoutStore::ListOrders(
    const std::string& user_id, int limit, int64_t before_seq) {
  std::vector<OrderRecord> out;
  absl::Status status =
      pool_.Transact<pqxx::read_transaction>([&](pqxx::read_transaction& tx) -> absl::Status {
        pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kColumns,
                         " FROM orders WHERE user_id = $1 AND item_count > 0 AND "
                         "($2::bigint <= 0 OR seq < $2::bigint) ORDER BY seq DESC LIMIT $3"),
            user_id, before_seq, limit);
        auto records = RecordsFromRows(tx, rows);
        if (!records.ok()) return records.status();
        out = *std::move(records);
        LoadItems(tx, out);
        LoadTimelines(tx, out);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

// --- after payment -------------------------------------------------------------------------

namespace {

constexpr char kRefundColumns[] =
    "r.order_id::text, r.idempotency_key, r.fingerprint, r.amount, o.currency, r.state, "
    "r.failure_code, o.payment_id";

RefundRecord RefundFromRow(const pqxx::row& row) {
  return RefundRecord{.order_id = row[0].as<std::string>(),
                      .idempotency_key = row[1].as<std::string>(),
                      .fingerprint = row[2].as<std::string>(),
                      .amount = row[3].as<int64_t>(),
                      .currency = row[4].as<std::string>(),
                      .state = row[5].as<std::string>(),
                      .failure_code = row[6].as<std::string>(),
                      .payment_id = row[7].as<std::string>()};
}

std::optional<RefundRecord> SelectRefund(pqxx::work& tx, const std::string& order_id,
                                         const std::string& key) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", kRefundColumns,
                                  " FROM order_refunds r JOIN orders o ON o.id = r.order_id "
                                  "WHERE r.order_id = $1::uuid AND r.idempotency_key = $2"),
                     order_id, key);
  if (rows.empty()) return std::nullopt;
  return RefundFromRow(rows[0]);
}

std::map<std::string, int> RefundedUnits(pqxx::work& tx, const std::string& order_id) {
  std::map<std::string, int> units;
  pqxx::result rows = tx.exec_params(
      "SELECT product_id, refunded_quantity FROM order_items WHERE order_id = $1::uuid", order_id);
  for (const auto& row : rows) units[row[0].as<std::string>()] += row[1].as<int>();
  return units;
}

absl::Status RefundExceedsCapture() {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture",
                       "the refund exceeds what was captured and not yet refunded");
}

// Reserves `plan` for (order, key) and records the refund pending. The conditional updates
// repeat in SQL what PlanRefund checked, so that no code path can overdraw.
absl::Status ReserveRefund(pqxx::work& tx, const v1::RefundOrderRequest& request,
                           const RefundPlan& plan, absl::Duration lease) {
  const std::string& id = request.order_id();
  pqxx::result reserved = tx.exec_params(
      "UPDATE orders SET refund_reserved = refund_reserved + $2, updated_at = now() "
      "WHERE id = $1::uuid AND refund_reserved + $2 <= total RETURNING id",
      id, plan.amount);
  if (reserved.empty()) return RefundExceedsCapture();
  tx.exec_params(
      "INSERT INTO order_refunds (order_id, idempotency_key, fingerprint, amount, reason, state, "
      "lease_until) VALUES ($1::uuid, $2, $3, $4, $5, 'pending', "
      "now() + $6::float8 * interval '1 millisecond')",
      id, request.idempotency_key(), plan.fingerprint, plan.amount, request.reason(),
      Millis(lease));
  for (const RefundLinePlan& line : plan.lines) {
    pqxx::result taken = tx.exec_params(
        "UPDATE order_items SET refunded_quantity = refunded_quantity + $3 "
        "WHERE order_id = $1::uuid AND product_id = $2 AND refunded_quantity + $3 <= quantity "
        "RETURNING line_no",
        id, line.product_id, line.quantity);
    if (taken.empty()) return RefundExceedsCapture();
    tx.exec_params(
        "INSERT INTO order_refund_lines (order_id, idempotency_key, product_id, quantity, amount) "
        "VALUES ($1::uuid, $2, $3, $4, $5)",
        id, request.idempotency_key(), line.product_id, line.quantity, line.amount);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OrderRecord> PostgresCheckoutStore::BeginCancel(const std::string& order_id,
                                                               absl::Duration lease) {
  OrderRecord result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto order = LockOrder(tx, order_id);
    if (!order.ok()) return order.status();
    result = *std::move(order);
    if (CancelAccepted(result)) return absl::OkStatus();
    if (!Cancellable(result)) return NotCancellable();
    const int64_t amount = result.order.total().amount() - result.refund_reserved;
    tx.exec_params(
        "UPDATE orders SET status = 'cancelling', cancel_step = 'requested', cancel_amount = $2, "
        "refund_reserved = total, updated_at = now(), "
        "cancel_lease_until = now() + $3::float8 * interval '1 millisecond' WHERE id = $1::uuid",
        order_id, amount, Millis(lease));
    InsertTimeline(tx, order_id, v1::ORDER_STATUS_CANCELLING, 0);
    result.order.set_status(v1::ORDER_STATUS_CANCELLING);
    result.order.set_cancellable(false);
    result.cancel_step = CancelStep::kRequested;
    result.cancel_amount = amount;
    result.refund_reserved = result.order.total().amount();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::Status PostgresCheckoutStore::AdvanceCancel(const std::string& order_id, CancelStep step) {
  if (!IsUuid(order_id)) return NotFound();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE orders SET cancel_step = $2, updated_at = now() WHERE id = $1::uuid AND "
        "status = 'cancelling' AND orders_rank_of('cancel', cancel_step) < "
        "orders_rank_of('cancel', $2)",
        order_id, std::string(CancelStepName(step)));
    return absl::OkStatus();
  });
}

absl::StatusOr<OrderRecord> PostgresCheckoutStore::FinishCancel(const std::string& order_id) {
  OrderRecord result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto order = LockOrder(tx, order_id);
    if (!order.ok()) return order.status();
    result = *std::move(order);
    if (result.order.status() == v1::ORDER_STATUS_CANCELLED) return absl::OkStatus();
    if (result.order.status() != v1::ORDER_STATUS_CANCELLING) {
      return absl::FailedPreconditionError("the order is not being cancelled");
    }
    tx.exec_params(
        "UPDATE orders SET status = 'cancelled', cancel_step = 'returned', "
        "refunded = refunded + cancel_amount, updated_at = now() WHERE id = $1::uuid",
        order_id);
    InsertTimeline(tx, order_id, v1::ORDER_STATUS_CANCELLED, result.cancel_amount);
    result.order.set_status(v1::ORDER_STATUS_CANCELLED);
    result.cancel_step = CancelStep::kReturned;
    result.order.mutable_refunded()->set_amount(result.order.refunded().amount() +
                                                result.cancel_amount);
    return events::AppendToOutbox(tx, OrderCancelledEvent(result));
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<OrderRecord>> PostgresCheckoutStore::ClaimStalledCancels(
    absl::Duration lease, int limit) {
  std::vector<OrderRecord> claimed;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("WITH due AS (SELECT id FROM orders WHERE status = 'cancelling' AND "
                     "cancel_lease_until < now() ORDER BY cancel_lease_until LIMIT $2 "
                     "FOR UPDATE SKIP LOCKED) "
                     "UPDATE orders SET "
                     "cancel_lease_until = now() + $1::float8 * interval '1 millisecond' "
                     "FROM due WHERE orders.id = due.id RETURNING ",
                     absl::StrCat("orders.", kColumns)),
        Millis(lease), limit);
    auto records = RecordsFromRows(tx, rows);
    if (!records.ok()) return records.status();
    claimed = *std::move(records);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::StatusOr<RefundStart> PostgresCheckoutStore::BeginRefund(
    const v1::RefundOrderRequest& request, absl::Duration lease) {
  RefundStart result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    result = RefundStart();
    // The order first, always: every writer of an order's refunds holds its row lock.
    auto order = LockOrder(tx, request.order_id(), /*items=*/true);
    if (!order.ok()) return order.status();
    if (auto existing = SelectRefund(tx, request.order_id(), request.idempotency_key())) {
      result.refund = *std::move(existing);
      return absl::OkStatus();
    }
    auto plan = PlanRefund(*order, request, RefundedUnits(tx, request.order_id()));
    if (!plan.ok()) return plan.status();
    if (absl::Status s = ReserveRefund(tx, request, *plan, lease); !s.ok()) return s;
    result.refund = *SelectRefund(tx, request.order_id(), request.idempotency_key());
    result.created = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<OrderRecord> PostgresCheckoutStore::CompleteRefund(const std::string& order_id,
                                                                  const std::string& key) {
  OrderRecord result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto order = LockOrder(tx, order_id);
    if (!order.ok()) return order.status();
    result = *std::move(order);
    auto refund = SelectRefund(tx, order_id, key);
    if (!refund) return absl::NotFoundError("no such refund");
    if (refund->state == "completed") return absl::OkStatus();
    if (refund->state == "failed") {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, refund->failure_code,
                           "the refund failed");
    }
    const int64_t refunded = result.order.refunded().amount() + refund->amount;
    const v1::OrderStatus next = StatusAfterRefund(result, refunded);
    tx.exec_params(
        "UPDATE orders SET refunded = $2, status = $3, updated_at = now() WHERE id = $1::uuid",
        order_id, refunded, std::string(OrderStatusName(next)));
    tx.exec_params(
        "UPDATE order_refunds SET state = 'completed', updated_at = now() "
        "WHERE order_id = $1::uuid AND idempotency_key = $2",
        order_id, key);
    const bool full = refunded >= result.order.total().amount();
    InsertTimeline(tx, order_id,
                   full ? v1::ORDER_STATUS_REFUNDED : v1::ORDER_STATUS_PARTIALLY_REFUNDED,
                   refund->amount);
    result.order.set_status(next);
    result.order.mutable_refunded()->set_amount(refunded);
    result.order.set_cancellable(Cancellable(result));
    return events::AppendToOutbox(tx, OrderRefundedEvent(result, *refund));
  });
  if (!status.ok()) return status;
  return result;
}

absl::Status PostgresCheckoutStore::FailRefund(const std::string& order_id, const std::string& key,
                                               const std::string& failure_code) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto order = LockOrder(tx, order_id);
    if (!order.ok()) return order.status();
    auto refund = SelectRefund(tx, order_id, key);
    if (!refund || refund->state != "pending") return absl::OkStatus();
    tx.exec_params(
        "UPDATE orders SET refund_reserved = refund_reserved - $2, updated_at = now() "
        "WHERE id = $1::uuid",
        order_id, refund->amount);
    tx.exec_params(
        "UPDATE order_items i SET refunded_quantity = i.refunded_quantity - l.quantity "
        "FROM order_refund_lines l WHERE l.order_id = $1::uuid AND l.idempotency_key = $2 "
        "AND i.order_id = l.order_id AND i.product_id = l.product_id",
        order_id, key);
    tx.exec_params(
        "UPDATE order_refunds SET state = 'failed', failure_code = $3, updated_at = now() "
        "WHERE order_id = $1::uuid AND idempotency_key = $2",
        order_id, key, failure_code);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<RefundRecord>> PostgresCheckoutStore::ClaimStalledRefunds(
    absl::Duration lease, int limit) {
  std::vector<RefundRecord> claimed;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    claimed.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("WITH due AS (SELECT order_id, idempotency_key FROM order_refunds "
                     "WHERE state = 'pending' AND lease_until < now() ORDER BY lease_until "
                     "LIMIT $2 FOR UPDATE SKIP LOCKED), "
                     "leased AS (UPDATE order_refunds r SET "
                     "lease_until = now() + $1::float8 * interval '1 millisecond' FROM due "
                     "WHERE r.order_id = due.order_id AND r.idempotency_key = due.idempotency_key "
                     "RETURNING r.*) "
                     "SELECT ",
                     kRefundColumns, " FROM leased r JOIN orders o ON o.id = r.order_id"),
        Millis(lease), limit);
    for (const auto& row : rows) claimed.push_back(RefundFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::StatusOr<OrderRecord> PostgresCheckoutStore::RecordFulfillment(
    const v1::RecordFulfillmentRequest& request) {
  OrderRecord result;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto order = LockOrder(tx, request.order_id());
    if (!order.ok()) return order.status();
    result = *std::move(order);
    auto move = DecideFulfillment(result, request.stage());
    if (!move.ok()) return move.status();
    if (!move->unchanged) {
      tx.exec_params(
          "UPDATE orders SET stage = $2, status = $3, updated_at = now() WHERE id = $1::uuid",
          request.order_id(), std::string(StageName(move->stage)),
          std::string(OrderStatusName(move->status)));
      InsertTimeline(tx, request.order_id(), move->timeline_status, 0, request.carrier(),
                     request.tracking_number());
      result.stage = move->stage;
      result.order.set_status(move->status);
      result.order.set_cancellable(Cancellable(result));
    }
    // The answer, as GetOrder reads it, from this transaction: no second one to read it.
    std::vector<OrderRecord> one{std::move(result)};
    LoadDetails(tx, one);
    result = std::move(one.front());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace mercato::checkout
