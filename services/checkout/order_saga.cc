#include "checkout/order_saga.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/status_conversion.h"

namespace mercato::checkout {
namespace {

// Payment is hung (its deadline passed) or was certainly not reached (refused by our breaker,
// or no connection to it): asking it again at once would only add a second wait.
bool PaymentUnreachable(const absl::Status& status) {
  return CallNotSent(status) || (status.code() == absl::StatusCode::kDeadlineExceeded &&
                                 ExplicitErrorCodeOf(status) == "deadline_exceeded");
}
// A context for the calls of a recovery pass: the order's owner (the cart is theirs), fresh
// request and trace ids, no deadline beyond each call's own.
CallContext RecoveryContext(const OrderRecord& order) {
  CallContext c;
  c.request_id = NewUuid();
  c.traceparent = NewTraceparent();
  c.trace_id = TraceIdOf(c.traceparent);
  c.user_id = order.order.user_id();
  return c;
}

void SetMoney(common::v1::Money* money, int64_t amount, const std::string& currency) {
  money->set_amount(amount);
  money->set_currency(currency);
}

}  // namespace

absl::StatusOr<v1::Order> OrderSaga::PlaceOrder(const std::string& user_id,
                                                const v1::PlaceOrderRequest& request) {
  auto address = ValidatePlaceOrder(request);
  if (!address.ok()) return address.status();
  // The saga outlives the caller's deadline: once stock may be held it must be settled.
  CallContext context = CurrentCall();
  context.user_id = user_id;
  context.deadline = std::chrono::system_clock::time_point::max();
  ScopedCallContext scope(std::move(context));

  auto existing = store_.FindByIdempotencyKey(user_id, request.idempotency_key());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return ReplayOutcome(**existing, request.request_fingerprint());

  // Payment is known to be down: refuse before anything is held, rather than reserve stock
  // for an order that cannot be paid.
  if (options_.payment_available) {
    if (absl::Status s = options_.payment_available(); !s.ok()) return PaymentsUnavailable(s);
  }
  auto draft = Draft(user_id, request, *std::move(address));
  if (!draft.ok()) return draft.status();
  return Start(*std::move(draft), request);
}

absl::StatusOr<OrderRecord> OrderSaga::Draft(const std::string& user_id,
                                             const v1::PlaceOrderRequest& request,
                                             common::v1::Address address) {
  // Reading and pricing change nothing: their errors are returned without recording the key,
  // so that the same request can simply be retried.
  auto cart = downstream_.ReadCart();
  if (!cart.ok()) return cart.status();
  auto products = downstream_.LookupProducts(cart->lines);
  if (!products.ok()) return products.status();
  absl::StatusOr<PricedOrder> priced = PriceOrder(cart->lines, products->found);

  OrderRecord record;
  v1::Order& order = record.order;
  order.set_id(NewUuid());
  order.set_user_id(user_id);
  *order.mutable_shipping_address() = std::move(address);
  record.idempotency_key = request.idempotency_key();
  record.request_fingerprint = request.request_fingerprint();
  if (priced.ok()) {
    record.step = OrderStep::kPriced;
    record.cart_revision = cart->revision;
    for (auto& item : priced->items) *order.add_items() = std::move(item);
    SetMoney(order.mutable_subtotal(), priced->subtotal, priced->currency);
    SetMoney(order.mutable_shipping(), priced->shipping, priced->currency);
    SetMoney(order.mutable_tax(), priced->tax, priced->currency);
    SetMoney(order.mutable_total(), priced->total, priced->currency);
  } else {
    // A refusal known before anything happened (empty cart, product gone, mixed currencies)
    // is still the key's outcome: a repeat gets the same answer.
    record.step = OrderStep::kFailed;
    order.set_failure_code(ErrorCodeOf(priced.status()));
    record.failure_status = priced.status().code();
    record.failure_message = std::string(priced.status().message());
  }
  order.set_status(StatusOfStep(record.step));
  return record;
}

absl::StatusOr<v1::Order> OrderSaga::Start(OrderRecord draft,
                                           const v1::PlaceOrderRequest& request) {
  const std::string lease_owner = NewUuid();
  auto created = store_.CreateOrder(draft, lease_owner, options_.lease);
  if (!created.ok()) return created.status();
  // Not recorded for this key: once the other order is settled, a repeat learns the outcome.
  if (created->cart_ordered_at) return CartOrdered(*created->cart_ordered_at);
  if (!created->created) return ReplayOutcome(created->record, request.request_fingerprint());
  if (created->record.step == OrderStep::kFailed) {
    metrics_.CountFailed(created->record.order.failure_code(), /*recovered=*/false);
    spdlog::info("order {} failed: {}", created->record.order.id(),
                 created->record.order.failure_code());
    return FailureOf(created->record);
  }
  return Forward(std::move(created->record), lease_owner, request.card());
}

absl::StatusOr<v1::Order> OrderSaga::Forward(OrderRecord order, const std::string& lease_owner,
                                             const common::v1::Card& card) {
  ForwardRun run{.order = std::move(order), .lease_owner = lease_owner};
  if (Answer answer = ReserveStock(run)) return *std::move(answer);
  if (Answer answer = AuthorizePayment(run, card)) return *std::move(answer);
  if (Answer answer = CapturePayment(run)) return *std::move(answer);
  return CompleteOrder(run);
}

// 1. Stock.
OrderSaga::Answer OrderSaga::ReserveStock(ForwardRun& run) {
  if (absl::Status s = downstream_.ReserveStock(run.order); !s.ok()) {
    // ReserveStock is all or nothing: after these refusals no stock is held.
    if (auto failure = StockRefusal(s)) {
      return FailForward(std::move(run.order), run.lease_owner, *failure,
                         /*release_stock=*/false);
    }
    return Abandon(std::move(run.order), run.lease_owner, s);
  }
  return Record(run, {.step = OrderStep::kReserved, .detail = "stock reserved"});
}

// 2. Authorization. From here on a payment may exist.
OrderSaga::Answer OrderSaga::AuthorizePayment(ForwardRun& run, const common::v1::Card& card) {
  auto authorized = downstream_.Authorize(run.order, card);
  if (!authorized.ok()) {
    if (auto failure = CardRefusal(authorized.status())) {
      return FailForward(std::move(run.order), run.lease_owner, *failure,
                         /*release_stock=*/true);
    }
    if (CallNotSent(authorized.status())) {
      // Our own breaker or bulkhead refused the call (payment failed just now): no payment
      // exists and none can appear, so the stock goes back at once. The order itself is
      // settled like any other payment outage (503 order_pending now; recovery records it
      // failed once payment answers), so that this request's answer is a 503 too.
      if (auto released = downstream_.ReleaseStock(run.order.order.id()); !released.ok()) {
        spdlog::warn("order {}: releasing the stock failed: {}", run.order.order.id(),
                     released.status());
      }
    }
    if (PaymentUnreachable(authorized.status())) {
      return Postpone(run.order, run.lease_owner, authorized.status());
    }
    return Abandon(std::move(run.order), run.lease_owner, authorized.status());
  }
  if (authorized->state() == payment::v1::PAYMENT_STATE_DECLINED) {
    return FailForward(std::move(run.order), run.lease_owner, DeclineOf(authorized->decline_code()),
                       /*release_stock=*/true);
  }
  if (authorized->state() != payment::v1::PAYMENT_STATE_AUTHORIZED) {
    return Abandon(std::move(run.order), run.lease_owner,
                   absl::InternalError("the payment is not in the authorized state"));
  }
  run.payment_id = authorized->id();
  return Record(run, {.step = OrderStep::kAuthorized,
                      .detail = "payment authorized",
                      .payment_id = run.payment_id,
                      .card_brand = authorized->card_brand(),
                      .card_last4 = authorized->card_last4()});
}

// 3. Capture.
OrderSaga::Answer OrderSaga::CapturePayment(ForwardRun& run) {
  auto captured = downstream_.Capture(run.payment_id);
  if (!captured.ok()) return Abandon(std::move(run.order), run.lease_owner, captured.status());
  return Record(run, {.step = OrderStep::kCaptured, .detail = "payment captured"});
}

// 4. The stock is sold; the order is paid.
absl::StatusOr<v1::Order> OrderSaga::CompleteOrder(ForwardRun& run) {
  if (absl::Status s = downstream_.CommitStock(run.order.order.id()); !s.ok()) {
    return Abandon(std::move(run.order), run.lease_owner, s);
  }
  Resolution paid = Paid(std::move(run.order), run.lease_owner, Driver::kRequest);
  if (paid.record.step == OrderStep::kPaid) return paid.record.order;
  if (paid.lease_lost) return LeaseLost(paid.record, "");
  return Abandon(std::move(paid.record), run.lease_owner, paid.pending_cause);
}

OrderSaga::Answer OrderSaga::Record(ForwardRun& run, const StepUpdate& update) {
  absl::Status s = store_.Advance(run.order, run.lease_owner, update, options_.lease);
  if (s.ok()) return std::nullopt;
  // Losing the lease while recording an authorization: that authorization may need voiding.
  if (IsLeaseLost(s)) return LeaseLost(run.order, update.payment_id);
  return Abandon(std::move(run.order), run.lease_owner, s);
}

absl::StatusOr<v1::Order> OrderSaga::FailForward(OrderRecord order, const std::string& lease_owner,
                                                 const OrderFailure& failure, bool release_stock) {
  if (release_stock) {
    auto released = downstream_.ReleaseStock(order.order.id());
    if (!released.ok()) return Abandon(std::move(order), lease_owner, released.status());
    metrics_.CountCompensation(Compensation::kReleaseStock);
  }
  Resolution r = Failed(std::move(order), lease_owner, failure,
                        release_stock ? "stock released" : "no stock reserved", Driver::kRequest);
  if (r.record.step == OrderStep::kFailed) return FailureOf(r.record);
  if (r.lease_lost) return LeaseLost(r.record, "");
  // The failure could not be recorded; resolution will record it (the payment, declined or
  // absent, tells it what happened).
  return Abandon(std::move(r.record), lease_owner, r.pending_cause);
}

absl::StatusOr<v1::Order> OrderSaga::Abandon(OrderRecord order, const std::string& lease_owner,
                                             const absl::Status& cause) {
  spdlog::warn("order {} at step {}: {}; settling it", order.order.id(), StepName(order.step),
               cause);
  Resolution r = Resolve(std::move(order), lease_owner, Driver::kRequest);
  if (r.record.step == OrderStep::kPaid) return r.record.order;
  if (r.record.step == OrderStep::kFailed) return FailureOf(r.record);
  if (r.lease_lost) return LeaseLost(r.record, "");
  return OrderPending(options_.payment_grace);
}

absl::Status OrderSaga::Postpone(const OrderRecord& order, const std::string& lease_owner,
                                 const absl::Status& cause) {
  spdlog::warn("order {} at step {}: {}; recovery settles it", order.order.id(),
               StepName(order.step), cause);
  if (absl::Status s = store_.ReleaseLease(order.order.id(), lease_owner); !s.ok()) {
    spdlog::warn("order {}: giving up the lease failed: {}", order.order.id(), s);
  }
  return OrderPending(options_.payment_grace);
}

absl::Status OrderSaga::LeaseLost(const OrderRecord& order,
                                  const std::string& authorized_payment_id) {
  spdlog::warn("order {} is driven by recovery now; this request stops", order.order.id());
  if (!authorized_payment_id.empty()) {
    // Recovery may have failed the order before this authorization was visible to it; then
    // nobody else will void it.
    auto now = store_.GetOrder(order.order.id());
    if (now.ok() && now->step == OrderStep::kFailed) {
      if (auto voided = downstream_.Void(authorized_payment_id); voided.ok()) {
        metrics_.CountCompensation(Compensation::kVoidPayment);
      }
    }
  }
  return OrderInProgress();
}

Resolution OrderSaga::Resolve(OrderRecord order, const std::string& lease_owner, Driver driver) {
  std::optional<ScopedCallContext> scope;
  if (driver == Driver::kRecovery) scope.emplace(RecoveryContext(order));
  Settlement s{.order = std::move(order), .lease_owner = lease_owner, .driver = driver};
  if (absl::Status found = FindPayment(s); !found.ok()) return StillPending(s, found);
  if (s.payment && s.payment->state() == payment::v1::PAYMENT_STATE_CAPTURED) {
    if (auto settled = RollForward(s)) return *std::move(settled);
  }
  return Compensate(s);
}

Resolution OrderSaga::StillPending(Settlement& s, absl::Status cause) {
  if (absl::Status released = store_.ReleaseLease(s.order.order.id(), s.lease_owner);
      !released.ok()) {
    spdlog::warn("order {}: giving up the lease failed: {}", s.order.order.id(), released);
  }
  return {std::move(s.order), std::move(cause)};
}

absl::Status OrderSaga::FindPayment(Settlement& s) {
  // Whether an Authorize may have been sent. A request knows its own progress; recovery does
  // not trust the recorded step alone, since intermediate steps are committed without waiting
  // for the disk (PostgresCheckoutStore) and a database crash may have lost the latest.
  const OrderRecord& order = s.order;
  const bool payment_possible =
      order.step < OrderStep::kPaid &&
      (s.driver == Driver::kRecovery || order.step >= OrderStep::kReserved);
  if (!payment_possible) return absl::OkStatus();
  // The payment service knows what came of it.
  auto found = downstream_.GetPaymentOf(order.order.id());
  if (found.ok()) {
    s.payment = *std::move(found);
    return absl::OkStatus();
  }
  if (found.status().code() != absl::StatusCode::kNotFound) return found.status();
  if (options_.clock() - order.updated_at < options_.payment_grace) {
    return absl::UnavailableError("the outcome of the authorization is not known yet");
  }
  return absl::OkStatus();
}

// Money moved: roll forward if the stock can still be sold, else refund.
std::optional<Resolution> OrderSaga::RollForward(Settlement& s) {
  absl::Status committed = downstream_.CommitStock(s.order.order.id());
  if (committed.ok()) {
    v1::Order& order = s.order.order;
    if (order.payment_id().empty()) {
      // Captured before the authorization was recorded: record it with the payment.
      order.set_payment_id(s.payment->id());
      order.set_card_brand(s.payment->card_brand());
      order.set_card_last4(s.payment->card_last4());
    }
    return Paid(std::move(s.order), s.lease_owner, s.driver);
  }
  const std::string code = ExplicitErrorCodeOf(committed);
  if (code != "reservation_closed" && code != "reservation_not_found") {
    return StillPending(s, committed);
  }
  auto refunded = downstream_.Refund(s.payment->id());
  if (!refunded.ok()) return StillPending(s, refunded.status());
  metrics_.CountCompensation(Compensation::kRefundPayment);
  s.payment = *std::move(refunded);
  s.failure = ReservationExpired();
  s.detail = "reservation expired; payment refunded; ";
  return std::nullopt;
}

Resolution OrderSaga::Compensate(Settlement& s) {
  const std::string id = s.order.order.id();
  // Pending: the payment service recorded the payment but not (yet) the processor's answer;
  // a void cancels whatever the processor made.
  if (s.payment && (s.payment->state() == payment::v1::PAYMENT_STATE_AUTHORIZED ||
                    s.payment->state() == payment::v1::PAYMENT_STATE_PENDING)) {
    auto voided = downstream_.Void(s.payment->id());
    if (!voided.ok()) return StillPending(s, voided.status());
    metrics_.CountCompensation(Compensation::kVoidPayment);
    s.payment = *std::move(voided);
    s.detail = "payment voided; ";
  }
  auto released = downstream_.ReleaseStock(id);
  if (!released.ok()) return StillPending(s, released.status());
  if (released->items_size() > 0) metrics_.CountCompensation(Compensation::kReleaseStock);
  s.detail += "stock released";

  if (!s.failure) {
    s.failure = s.payment && s.payment->state() == payment::v1::PAYMENT_STATE_DECLINED
                    ? DeclineOf(s.payment->decline_code())
                    : Interrupted();
  }
  if (s.payment && s.order.order.payment_id().empty()) {
    s.order.order.set_payment_id(s.payment->id());
  }
  return Failed(std::move(s.order), s.lease_owner, *s.failure, s.detail, s.driver);
}

Resolution OrderSaga::Paid(OrderRecord order, const std::string& lease_owner, Driver driver) {
  const bool recovered = driver == Driver::kRecovery;
  StepUpdate update{
      .step = OrderStep::kPaid,
      .detail = recovered ? "reservation committed by recovery" : "reservation committed",
      .payment_id = order.order.payment_id(),
      .card_brand = order.order.card_brand(),
      .card_last4 = order.order.card_last4()};
  if (absl::Status s = store_.Advance(order, lease_owner, update, options_.lease); !s.ok()) {
    spdlog::warn("order {}: recording it as paid failed: {}", order.order.id(), s);
    const bool lease_lost = IsLeaseLost(s);
    return {std::move(order), std::move(s), lease_lost};
  }
  metrics_.CountPaid(order.order.total().amount(), order.order.total().currency(), recovered);
  spdlog::info("order {} paid{}: {} {}", order.order.id(), recovered ? " (recovered)" : "",
               order.order.total().amount(), order.order.total().currency());
  downstream_.ClearCart(order.order);
  return {std::move(order), absl::OkStatus()};
}

Resolution OrderSaga::Failed(OrderRecord order, const std::string& lease_owner,
                             const OrderFailure& failure, const std::string& detail,
                             Driver driver) {
  const bool recovered = driver == Driver::kRecovery;
  StepUpdate update{.step = OrderStep::kFailed,
                    .detail = recovered ? absl::StrCat(detail, " (recovery)") : detail,
                    .payment_id = order.order.payment_id(),
                    .failure_code = failure.code,
                    .failure_status = failure.status,
                    .failure_message = failure.message};
  if (absl::Status s = store_.Advance(order, lease_owner, update, options_.lease); !s.ok()) {
    spdlog::warn("order {}: recording it as failed failed: {}", order.order.id(), s);
    const bool lease_lost = IsLeaseLost(s);
    return {std::move(order), std::move(s), lease_lost};
  }
  metrics_.CountFailed(failure.code, recovered);
  spdlog::info("order {} failed{}: {}", order.order.id(), recovered ? " (recovered)" : "",
               failure.code);
  return {std::move(order), absl::OkStatus()};
}

}  // namespace mercato::checkout
