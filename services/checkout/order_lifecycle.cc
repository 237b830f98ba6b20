#include "checkout/order_lifecycle.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "checkout/order_lifecycle_rules.h"
#include "common/call_context.h"
#include "common/fault_injection.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/status_conversion.h"

namespace mercato::checkout {
namespace {

absl::Status LifecycleOrderNotFound() {
  return ErrorWithCode(absl::StatusCode::kNotFound, "order_not_found", "no such order");
}

// A refusal of payment's Refund that no repeat would change (its arguments are wrong for
// this payment): the refund fails. Anything else may be an outage: try again later.
bool DefiniteRefundRefusal(const absl::Status& status) {
  return !CallNotSent(status) && (status.code() == absl::StatusCode::kFailedPrecondition ||
                                  status.code() == absl::StatusCode::kInvalidArgument);
}

// The context of calls made outside any request (recovery): fresh ids, no user.
CallContext LifecycleRecoveryContext() {
  CallContext c;
  c.request_id = NewUuid();
  c.traceparent = NewTraceparent();
  c.trace_id = TraceIdOf(c.traceparent);
  return c;
}

common::v1::Money MoneyOf(int64_t amount, const std::string& currency) {
  common::v1::Money m;
  m.set_amount(amount);
  m.set_currency(currency);
  return m;
}

}  // namespace

std::string OrderLifecycle::RefundKeyFor(const std::string& idempotency_key) {
  std::string key = absl::StrCat("refund:", idempotency_key);
  if (key.size() <= kMaxPaymentKeyLength) return key;
  // Payment keys are at most 255 characters; a longer admin key keeps its first 200 and a
  // stable hash of the whole (64-bit FNV-1a), still one payment key per admin key.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : idempotency_key) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrCat("refund:", idempotency_key.substr(0, 200), "~", absl::Hex(hash));
}

absl::StatusOr<v1::Order> OrderLifecycle::Current(const std::string& order_id) {
  auto record = store_.GetOrder(order_id);
  if (!record.ok()) return record.status();
  return std::move(record->order);
}

absl::StatusOr<v1::Order> OrderLifecycle::Cancel(const std::string& user_id,
                                                 const std::string& order_id) {
  auto existing = store_.GetOrder(order_id);
  if (!existing.ok()) {
    return existing.status().code() == absl::StatusCode::kNotFound ? LifecycleOrderNotFound()
                                                                   : existing.status();
  }
  if (existing->order.user_id() != user_id) return LifecycleOrderNotFound();
  auto begun = store_.BeginCancel(order_id, options_.lease);
  if (!begun.ok()) return begun.status();
  CrashPoint("checkout.cancel_after_begin");
  if (begun->order.status() == v1::ORDER_STATUS_CANCELLING) {
    // The steps are idempotent: a repeat while another driver runs them is harmless.
    if (absl::Status s = DriveCancel(*begun); !s.ok()) {
      spdlog::warn("order {}: cancellation continues later: {}", order_id, s);
    }
  }
  return Current(order_id);
}

absl::Status OrderLifecycle::DriveCancel(const OrderRecord& order) {
  if (order.cancel_step < CancelStep::kRefunded) {
    if (absl::Status s = RefundForCancel(order); !s.ok()) return s;
  }
  if (order.cancel_step < CancelStep::kReturned) {
    if (absl::Status s = ReturnForCancel(order); !s.ok()) return s;
  }
  auto finished = store_.FinishCancel(order.order.id());
  if (!finished.ok()) return finished.status();
  spdlog::info("order {} cancelled: {} {} refunded", order.order.id(), order.cancel_amount,
               order.order.total().currency());
  return absl::OkStatus();
}

absl::Status OrderLifecycle::RefundForCancel(const OrderRecord& order) {
  // Nothing left to refund (admin refunds took it all): the step is done as it stands.
  if (order.cancel_amount > 0) {
    auto refunded = downstream_.Refund(order.order.payment_id(),
                                       MoneyOf(order.cancel_amount, order.order.total().currency()),
                                       kCancelRefundKey);
    if (!refunded.ok()) return refunded.status();
  }
  CrashPoint("checkout.cancel_after_refund");
  if (absl::Status s = store_.AdvanceCancel(order.order.id(), CancelStep::kRefunded); !s.ok()) {
    return s;
  }
  CrashPoint("checkout.cancel_after_refund_recorded");
  return absl::OkStatus();
}

absl::Status OrderLifecycle::ReturnForCancel(const OrderRecord& order) {
  auto returned = downstream_.ReturnStock(order.order.id());
  if (!returned.ok()) return returned.status();
  CrashPoint("checkout.cancel_after_return");
  if (absl::Status s = store_.AdvanceCancel(order.order.id(), CancelStep::kReturned); !s.ok()) {
    return s;
  }
  CrashPoint("checkout.cancel_after_return_recorded");
  return absl::OkStatus();
}

absl::StatusOr<v1::Order> OrderLifecycle::Refund(const v1::RefundOrderRequest& request) {
  if (absl::Status s = ValidateRefundRequest(request); !s.ok()) return s;
  auto started = store_.BeginRefund(request, options_.lease);
  if (!started.ok()) {
    return started.status().code() == absl::StatusCode::kNotFound ? LifecycleOrderNotFound()
                                                                  : started.status();
  }
  const RefundRecord& refund = started->refund;
  if (refund.fingerprint != RefundFingerprint(request)) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                         "this Idempotency-Key was used for a different refund of the order");
  }
  if (refund.state == "failed") {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, refund.failure_code,
                         "the refund was refused");
  }
  if (refund.state == "pending") {
    auto completed = DriveRefund(refund);
    if (!completed.ok()) return completed.status();
  }
  return Current(request.order_id());
}

absl::StatusOr<OrderRecord> OrderLifecycle::DriveRefund(const RefundRecord& refund) {
  auto paid_back = downstream_.Refund(refund.payment_id, MoneyOf(refund.amount, refund.currency),
                                      RefundKeyFor(refund.idempotency_key));
  if (!paid_back.ok()) {
    if (DefiniteRefundRefusal(paid_back.status())) {
      const std::string code = ErrorCodeOf(paid_back.status());
      if (absl::Status s = store_.FailRefund(refund.order_id, refund.idempotency_key, code);
          !s.ok()) {
        return s;
      }
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition, code,
                           paid_back.status().message());
    }
    spdlog::warn("order {}: refund {} continues later: {}", refund.order_id,
                 refund.idempotency_key.substr(0, 64), paid_back.status());
    return ErrorWithCode(absl::StatusCode::kUnavailable, "refund_pending",
                         "the refund is recorded and will be completed shortly; repeat the "
                         "request with the same Idempotency-Key to learn its outcome",
                         /*retry_after_seconds=*/1);
  }
  return store_.CompleteRefund(refund.order_id, refund.idempotency_key);
}

absl::StatusOr<v1::Order> OrderLifecycle::RecordFulfillment(
    const v1::RecordFulfillmentRequest& request) {
  if (absl::Status s = ValidateFulfillmentRequest(request); !s.ok()) return s;
  auto recorded = store_.RecordFulfillment(request);
  if (!recorded.ok()) return recorded.status();
  return std::move(recorded->order);
}

absl::StatusOr<int> OrderLifecycle::RecoverOnce() {
  ScopedCallContext scope(LifecycleRecoveryContext());
  int finished = 0;
  auto cancels = store_.ClaimStalledCancels(options_.lease, options_.recovery_batch);
  if (!cancels.ok()) return cancels.status();
  for (const OrderRecord& order : *cancels) {
    if (absl::Status s = DriveCancel(order); s.ok()) {
      ++finished;
    } else {
      spdlog::warn("recovery: order {} stays cancelling: {}", order.order.id(), s);
    }
  }
  auto refunds = store_.ClaimStalledRefunds(options_.lease, options_.recovery_batch);
  if (!refunds.ok()) return refunds.status();
  for (const RefundRecord& refund : *refunds) {
    if (auto done = DriveRefund(refund); done.ok()) ++finished;
  }
  return finished;
}

}  // namespace mercato::checkout
