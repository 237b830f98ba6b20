// An in-memory PaymentStore for unit tests of the payment service, with the same guarantees
// as the real one (one payment per key, conditional moves, history), under one mutex.
// Whoever adds a method to PaymentStore adds it here too.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/status.h"
#include "payment/payment_state.h"
#include "payment/payment_store.h"

namespace mercato::payment {

class FakePaymentStore : public PaymentStore {
 public:
  // How many payments BeginAuthorization created, and how many times Transition ran `act`.
  int created = 0;
  int acts = 0;
  // When set, returned by the next call instead of doing anything.
  absl::Status next_error;

  absl::StatusOr<AuthorizeResult> BeginAuthorization(const NewPayment& p) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    if (auto it = by_key_.find(p.idempotency_key); it != by_key_.end()) {
      return AuthorizeResult{.record = payments_.at(it->second), .created = false};
    }
    ++created;
    PaymentRecord r;
    r.payment.set_id(p.id);
    r.payment.set_idempotency_key(p.idempotency_key);
    r.payment.set_state(v1::PAYMENT_STATE_PENDING);
    r.payment.mutable_amount()->set_amount(p.amount);
    r.payment.mutable_amount()->set_currency(p.currency);
    r.payment.set_card_brand(p.card_brand);
    r.payment.set_card_last4(p.card_last4);
    r.payment.set_order_id(p.order_id);
    r.payment.set_created_at_unix_ms(absl::ToUnixMillis(absl::Now()));
    r.fingerprint = p.fingerprint;
    payments_[p.id] = r;
    by_key_[p.idempotency_key] = p.id;
    events_[p.id].push_back({std::nullopt, v1::PAYMENT_STATE_PENDING, "", absl::Now()});
    return AuthorizeResult{.record = r, .created = true};
  }

  // `ask` runs under the store's lock: calls for a payment wait for each other.
  absl::StatusOr<TransitionResult> RecordOutcome(const std::string& id,
                                                 const std::string& idempotency_key,
                                                 const AskFn& ask) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    auto it = payments_.find(id);
    if (it == payments_.end() || it->second.payment.idempotency_key() != idempotency_key) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "no payment");
    }
    PaymentRecord& r = it->second;
    if (r.payment.state() != v1::PAYMENT_STATE_PENDING) {
      return TransitionResult{.record = r, .changed = false};
    }
    absl::StatusOr<ChargeOutcome> answer = ask();
    if (!answer.ok()) return answer.status();
    const ChargeOutcome& outcome = *answer;
    r.payment.set_state(outcome.state);
    r.payment.set_decline_code(outcome.decline_code);
    r.processor_reference = outcome.processor_reference;
    events_[id].push_back(
        {v1::PAYMENT_STATE_PENDING, outcome.state, outcome.decline_code, absl::Now()});
    return TransitionResult{.record = r, .changed = true};
  }

  // Every payment pending or authorized counts as old enough when `age` is zero, none else
  // (the fake has no clock of its own).
  absl::StatusOr<std::vector<OpenPayment>> ListOpenOlderThan(absl::Duration age,
                                                             int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<OpenPayment> out;
    if (age > absl::ZeroDuration()) return out;
    for (const auto& [id, r] : payments_) {
      const auto state = r.payment.state();
      if (static_cast<int>(out.size()) == limit) break;
      if (state == v1::PAYMENT_STATE_PENDING || state == v1::PAYMENT_STATE_AUTHORIZED) {
        out.push_back({id, state});
      }
    }
    return out;
  }

  absl::StatusOr<TransitionResult> Transition(const std::string& id, v1::PaymentState from,
                                              v1::PaymentState to, const ActFn& act) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    auto it = payments_.find(id);
    if (it == payments_.end()) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "no payment");
    }
    if (it->second.payment.state() != from) {
      return TransitionResult{.record = it->second, .changed = false};
    }
    PaymentRecord moved = it->second;
    moved.payment.set_state(to);
    ++acts;
    if (absl::Status s = act(moved); !s.ok()) return s;
    it->second = moved;
    events_[id].push_back({from, to, "", absl::Now()});
    return TransitionResult{.record = moved, .changed = true};
  }

  // Refunds as the real store does (PlanRefund), under the store's lock.
  absl::StatusOr<RefundResult> Refund(const NewRefund& refund, const RefundFn& act) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    auto it = payments_.find(refund.payment_id);
    if (it == payments_.end()) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "no payment");
    }
    v1::Payment& p = it->second.payment;
    RefundResult result{.record = it->second, .from = p.state()};
    auto& keys = refunds_[refund.payment_id];
    std::optional<int64_t> earlier;
    if (auto k = keys.find(refund.idempotency_key); k != keys.end()) earlier = k->second;
    auto plan = PlanRefund(p, refund.amount ? &*refund.amount : nullptr, earlier);
    if (!plan.ok()) return plan.status();
    if (plan->replay) return result;
    if (absl::Status s = act(it->second, plan->amount); !s.ok()) return s;
    keys[refund.idempotency_key] = plan->amount;
    p.mutable_refunded_amount()->set_amount(p.refunded_amount().amount() + plan->amount);
    p.mutable_refunded_amount()->set_currency(p.amount().currency());
    if (plan->next_state != p.state()) {
      events_[refund.payment_id].push_back({p.state(), plan->next_state, "", absl::Now()});
      p.set_state(plan->next_state);
    }
    result.record = it->second;
    result.amount = plan->amount;
    return result;
  }

  absl::StatusOr<PaymentRecord> Get(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = payments_.find(id);
    if (it == payments_.end()) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "no payment");
    }
    return it->second;
  }

  absl::StatusOr<PaymentRecord> GetByIdempotencyKey(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "payment_not_found", "no payment");
    }
    return payments_.at(it->second);
  }

  absl::StatusOr<std::vector<PaymentEvent>> ListEvents(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = events_.find(id);
    if (it == events_.end()) return std::vector<PaymentEvent>();
    return it->second;
  }

  // Test helpers.
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return payments_.size();
  }
  // Sets a payment's state directly (to reach any state for state-machine tests).
  void ForceState(const std::string& id, v1::PaymentState state) {
    std::lock_guard<std::mutex> lock(mu_);
    payments_.at(id).payment.set_state(state);
  }
  std::vector<PaymentRecord> All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PaymentRecord> out;
    for (const auto& [id, r] : payments_) out.push_back(r);
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, PaymentRecord> payments_;
  std::map<std::string, std::string> by_key_;
  std::map<std::string, std::vector<PaymentEvent>> events_;
  // Per payment: refund key -> amount.
  std::map<std::string, std::map<std::string, int64_t>> refunds_;
};

}  // namespace mercato::payment
