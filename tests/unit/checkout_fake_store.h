// An in-memory CheckoutStore for unit tests of the checkout service, with the same guarantees
// as the real one (one order per user and key, lease fencing, steps only forward, history),
// under one mutex. Whoever adds a method to CheckoutStore adds it here too.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "checkout/checkout_store.h"
#include "common/status.h"

namespace mercato::checkout {

class FakeCheckoutStore : public CheckoutStore {
 public:
  struct Row {
    OrderRecord record;
    std::string lease_owner;
    absl::Time lease_until;
    int recovery_attempts = 0;
    std::vector<std::string> history;  // "step: detail"
  };

  // When set, returned by the next Advance() instead of doing anything.
  absl::Status next_advance_error;
  std::function<absl::Time()> clock = [] { return absl::Now(); };

  absl::StatusOr<CreateOrderResult> CreateOrder(const OrderRecord& order,
                                                const std::string& lease_owner,
                                                absl::Duration lease) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto key = std::make_pair(order.order.user_id(), order.idempotency_key);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      return CreateOrderResult{.record = rows_.at(it->second).record, .created = false};
    }
    if (order.step == OrderStep::kPriced && !order.cart_revision.empty()) {
      for (const auto& [id, other] : rows_) {
        const OrderRecord& r = other.record;
        if (r.order.user_id() == order.order.user_id() && r.cart_revision == order.cart_revision &&
            r.step != OrderStep::kFailed) {
          return CreateOrderResult{.cart_ordered_at = r.step};
        }
      }
    }
    Row row;
    row.record = order;
    row.record.seq = ++seq_;
    row.record.updated_at = clock();
    row.record.order.set_created_at_unix_ms(absl::ToUnixMillis(clock()));
    row.record.order.set_status(StatusOfStep(order.step));
    const bool terminal = IsTerminal(order.step);
    row.lease_owner = terminal ? "" : lease_owner;
    row.lease_until = terminal ? clock() : clock() + lease;
    row.history.push_back(std::string(StepName(order.step)));
    by_key_[key] = order.order.id();
    rows_[order.order.id()] = row;
    return CreateOrderResult{.record = row.record, .created = true};
  }

  absl::StatusOr<std::optional<OrderRecord>> FindByIdempotencyKey(
      const std::string& user_id, const std::string& idempotency_key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_key_.find(std::make_pair(user_id, idempotency_key));
    if (it == by_key_.end()) return std::optional<OrderRecord>();
    return std::optional<OrderRecord>(rows_.at(it->second).record);
  }

  absl::Status Advance(OrderRecord& order, const std::string& lease_owner, const StepUpdate& update,
                       absl::Duration lease) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next_advance_error.ok()) return std::exchange(next_advance_error, absl::OkStatus());
    auto it = rows_.find(order.order.id());
    if (it == rows_.end() || it->second.lease_owner != lease_owner ||
        IsTerminal(it->second.record.step)) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "lease_lost", "lease lost");
    }
    Row& row = it->second;
    if (update.step < row.record.step) return absl::FailedPreconditionError("step moved back");
    OrderRecord& r = row.record;
    r.step = update.step;
    r.order.set_status(StatusOfStep(update.step));
    if (!update.payment_id.empty()) r.order.set_payment_id(update.payment_id);
    if (!update.card_brand.empty()) r.order.set_card_brand(update.card_brand);
    if (!update.card_last4.empty()) r.order.set_card_last4(update.card_last4);
    r.order.set_failure_code(update.failure_code);
    r.failure_status = update.failure_status;
    r.failure_message = update.failure_message;
    r.updated_at = clock();
    if (IsTerminal(update.step)) {
      row.lease_owner.clear();
      row.lease_until = clock();
    } else {
      row.lease_until = clock() + lease;
    }
    row.history.push_back(std::string(StepName(update.step)) + ": " + update.detail);
    // The caller's copy gets the update, its items untouched.
    order.step = r.step;
    order.order.set_status(r.order.status());
    order.order.set_payment_id(r.order.payment_id());
    order.order.set_card_brand(r.order.card_brand());
    order.order.set_card_last4(r.order.card_last4());
    order.order.set_failure_code(r.order.failure_code());
    order.failure_status = r.failure_status;
    order.failure_message = r.failure_message;
    order.updated_at = r.updated_at;
    return absl::OkStatus();
  }

  absl::Status ReleaseLease(const std::string& order_id, const std::string& lease_owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lease_releases;
    auto it = rows_.find(order_id);
    if (it != rows_.end() && it->second.lease_owner == lease_owner &&
        !IsTerminal(it->second.record.step)) {
      it->second.lease_until = clock();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<OrderRecord>> ClaimStalled(const std::string& lease_owner,
                                                        absl::Duration lease, int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Row*> due;
    for (auto& [id, row] : rows_) {
      if (!IsTerminal(row.record.step) && row.lease_until <= clock()) due.push_back(&row);
    }
    std::sort(due.begin(), due.end(),
              [](const Row* a, const Row* b) { return a->lease_until < b->lease_until; });
    std::vector<OrderRecord> out;
    for (Row* row : due) {
      if (static_cast<int>(out.size()) >= limit) break;
      row->lease_owner = lease_owner;
      row->lease_until = clock() + lease;
      ++row->recovery_attempts;
      OrderRecord r = row->record;
      r.order.clear_items();
      out.push_back(std::move(r));
    }
    return out;
  }

  absl::StatusOr<OrderRecord> GetOrder(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rows_.find(id);
    if (it == rows_.end()) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "order_not_found", "no such order");
    }
    return it->second.record;
  }

  absl::StatusOr<std::vector<OrderRecord>> ListOrders(const std::string& user_id, int limit,
                                                      int64_t before_seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<OrderRecord> out;
    for (auto it = rows_.begin(); it != rows_.end(); ++it) {
      const OrderRecord& r = it->second.record;
      if (r.order.user_id() == user_id && r.order.items_size() > 0 &&
          (before_seq <= 0 || r.seq < before_seq)) {
        out.push_back(r);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const OrderRecord& a, const OrderRecord& b) { return a.seq > b.seq; });
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }

  // The lifecycle after payment runs on PostgreSQL only
  // (tests/integration/checkout_lifecycle_test.cc); its pure rules have unit tests.
  absl::StatusOr<OrderRecord> BeginCancel(const std::string&, absl::Duration) override {
    return absl::UnimplementedError("fake store");
  }
  absl::Status AdvanceCancel(const std::string&, CancelStep) override {
    return absl::UnimplementedError("fake store");
  }
  absl::StatusOr<OrderRecord> FinishCancel(const std::string&) override {
    return absl::UnimplementedError("fake store");
  }
  absl::StatusOr<std::vector<OrderRecord>> ClaimStalledCancels(absl::Duration, int) override {
    return std::vector<OrderRecord>();
  }
  absl::StatusOr<RefundStart> BeginRefund(const v1::RefundOrderRequest&, absl::Duration) override {
    return absl::UnimplementedError("fake store");
  }
  absl::StatusOr<OrderRecord> CompleteRefund(const std::string&, const std::string&) override {
    return absl::UnimplementedError("fake store");
  }
  absl::Status FailRefund(const std::string&, const std::string&, const std::string&) override {
    return absl::UnimplementedError("fake store");
  }
  absl::StatusOr<std::vector<RefundRecord>> ClaimStalledRefunds(absl::Duration, int) override {
    return std::vector<RefundRecord>();
  }
  absl::StatusOr<OrderRecord> RecordFulfillment(const v1::RecordFulfillmentRequest&) override {
    return absl::UnimplementedError("fake store");
  }

  // Test access.
  Row row(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return rows_.at(id);
  }
  std::vector<std::string> ids() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, row] : rows_) out.push_back(id);
    return out;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return rows_.size();
  }
  // Makes the order look abandoned by a crashed process: someone else's lease, run out, last
  // step `age` ago.
  void Abandon(const std::string& id, absl::Duration age) {
    std::lock_guard<std::mutex> lock(mu_);
    Row& row = rows_.at(id);
    row.lease_owner = "dead-process";
    row.lease_until = clock() - absl::Seconds(1);
    row.record.updated_at = clock() - age;
  }
  // Inserts a pending order as a crashed process left it.
  void PutAbandoned(OrderRecord record, absl::Duration age) {
    std::lock_guard<std::mutex> lock(mu_);
    Row row;
    record.seq = ++seq_;
    record.updated_at = clock() - age;
    record.order.set_status(StatusOfStep(record.step));
    row.record = record;
    row.lease_owner = "dead-process";
    row.lease_until = clock() - absl::Seconds(1);
    by_key_[std::make_pair(record.order.user_id(), record.idempotency_key)] = record.order.id();
    rows_[record.order.id()] = row;
  }

  int lease_releases = 0;

 private:
  std::mutex mu_;
  std::map<std::string, Row> rows_;
  std::map<std::pair<std::string, std::string>, std::string> by_key_;
  int64_t seq_ = 0;
};

}  // namespace mercato::checkout
