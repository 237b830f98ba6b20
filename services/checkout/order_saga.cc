#include "checkout/order_saga.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "commerce/address.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/client.h"
#include "rpc/status_conversion.h"

namespace mercato::checkout {
namespace {

// Payment is hung (its deadline passed) or was certainly not reached (refused by our breaker,
// or no connection to it): asking it again at once would only add a second wait.
bool PaymentUnreachable(const absl::Status& status) {
  return CallNotSent(status) || (status.code() == absl::StatusCode::kDeadlineExceeded &&
                                 ExplicitErrorCodeOf(status) == "deadline_exceeded");
}

// BatchGetProducts takes at most this many ids.
constexpr int kCatalogBatchSize = 100;

constexpr char kInterruptedCode[] = "checkout_interrupted";
constexpr char kInterruptedMessage[] =
    "the checkout could not be completed; nothing was charged and the stock was released; "
    "try again with a new Idempotency-Key";

absl::Status InvalidArgument(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

bool IsPrintableAscii(const std::string& s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The failure of a declined payment, by the processor's decline code.
std::pair<std::string, std::string> DeclineOf(const std::string& decline_code) {
  if (decline_code == "insufficient_funds") {
    return {"insufficient_funds", "the card was declined for insufficient funds"};
  }
  return {"payment_declined", "the card was declined"};
}

// Another order of this user holds the cart revision being ordered (issue 15, defect 12).
absl::Status CartOrdered(OrderStep other) {
  if (other == OrderStep::kPaid) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "cart_already_ordered",
                         "these cart contents were already ordered; change the cart to order "
                         "again");
  }
  return ErrorWithCode(absl::StatusCode::kAborted, "cart_checkout_in_progress",
                       "another checkout of this cart is in progress; nothing was reserved or "
                       "charged for this one",
                       /*retry_after_seconds=*/1);
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

}  // namespace

std::string OrderSaga::PaymentKeyFor(const std::string& order_id) {
  return absl::StrCat("checkout-order:", order_id);
}

absl::Status OrderSaga::FailureOf(const OrderRecord& order) {
  const absl::StatusCode code = order.failure_status == absl::StatusCode::kOk
                                    ? absl::StatusCode::kAborted
                                    : order.failure_status;
  return ErrorWithCode(code, order.order.failure_code(), order.failure_message);
}

absl::StatusOr<common::v1::Address> OrderSaga::Validate(const v1::PlaceOrderRequest& request) {
  const std::string& key = request.idempotency_key();
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength || !IsPrintableAscii(key)) {
    return InvalidArgument("invalid_idempotency_key",
                           absl::StrCat("idempotency_key must be 1 to ", kMaxIdempotencyKeyLength,
                                        " printable ASCII characters"));
  }
  const std::string& fingerprint = request.request_fingerprint();
  if (fingerprint.empty() || fingerprint.size() > kMaxFingerprintLength ||
      !IsPrintableAscii(fingerprint)) {
    return InvalidArgument("invalid_argument",
                           absl::StrCat("request_fingerprint must be 1 to ", kMaxFingerprintLength,
                                        " printable ASCII characters"));
  }
  if (!request.has_shipping_address()) {
    return InvalidArgument("invalid_address", "shipping_address is required");
  }
  // The rule saved addresses follow too: an inline address is stored as it would be saved.
  common::v1::Address address = request.shipping_address();
  if (absl::Status s = NormaliseAddress(address, "shipping_address."); !s.ok()) return s;
  // The card itself is the payment service's to check; its number is never echoed.
  if (!request.has_card() || request.card().number().empty()) {
    return InvalidArgument("invalid_card", "card is required");
  }
  return address;
}

absl::StatusOr<v1::Order> OrderSaga::Replay(const OrderRecord& order,
                                            const std::string& fingerprint) {
  if (order.request_fingerprint != fingerprint) {
    return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                         "this Idempotency-Key was used for a different request");
  }
  switch (order.step) {
    case OrderStep::kPaid:
      return order.order;
    case OrderStep::kFailed:
      return FailureOf(order);
    default:
      return ErrorWithCode(absl::StatusCode::kAborted, "in_progress",
                           "a request with this Idempotency-Key is still being processed; "
                           "retry shortly",
                           /*retry_after_seconds=*/1);
  }
}

absl::StatusOr<v1::Order> OrderSaga::PlaceOrder(const std::string& user_id,
                                                const v1::PlaceOrderRequest& request) {
  auto address = Validate(request);
  if (!address.ok()) return address.status();
  // The saga outlives the caller's deadline: once stock may be held it must be settled.
  CallContext context = CurrentCall();
  context.user_id = user_id;
  context.deadline = std::chrono::system_clock::time_point::max();
  ScopedCallContext scope(std::move(context));

  auto existing = store_.FindByIdempotencyKey(user_id, request.idempotency_key());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return Replay(**existing, request.request_fingerprint());

  // Payment is known to be down: refuse before anything is held, rather than reserve stock
  // for an order that cannot be paid.
  if (options_.payment_available) {
    if (absl::Status s = options_.payment_available(); !s.ok()) {
      return ErrorWithCode(absl::StatusCode::kUnavailable, "service_unavailable",
                           "payments are temporarily unavailable; nothing was reserved or "
                           "charged; try again shortly",
                           std::max(1, RetryAfterOf(s)));
    }
  }

  // Reading and pricing change nothing: their errors are returned without recording the key,
  // so that the same request can simply be retried.
  auto cart = ReadCart();
  if (!cart.ok()) return cart.status();
  std::unordered_map<std::string, catalog::v1::Product> products;
  if (!cart->lines.empty()) {
    if (absl::Status s = FetchProducts(cart->lines, products); !s.ok()) return s;
  }
  absl::StatusOr<PricedOrder> priced = PriceOrder(cart->lines, products);

  OrderRecord record;
  v1::Order& order = record.order;
  order.set_id(NewUuid());
  order.set_user_id(user_id);
  *order.mutable_shipping_address() = *std::move(address);
  record.idempotency_key = request.idempotency_key();
  record.request_fingerprint = request.request_fingerprint();
  if (priced.ok()) {
    record.step = OrderStep::kPriced;
    record.cart_revision = cart->revision;
    for (auto& item : priced->items) *order.add_items() = std::move(item);
    auto money = [&](common::v1::Money* m, int64_t amount) {
      m->set_amount(amount);
      m->set_currency(priced->currency);
    };
    money(order.mutable_subtotal(), priced->subtotal);
    money(order.mutable_shipping(), priced->shipping);
    money(order.mutable_tax(), priced->tax);
    money(order.mutable_total(), priced->total);
  } else {
    // A refusal known before anything happened (empty cart, product gone, mixed currencies)
    // is still the key's outcome: a repeat gets the same answer.
    record.step = OrderStep::kFailed;
    order.set_failure_code(ErrorCodeOf(priced.status()));
    record.failure_status = priced.status().code();
    record.failure_message = std::string(priced.status().message());
  }
  order.set_status(StatusOfStep(record.step));

  const std::string lease_owner = NewUuid();
  auto created = store_.CreateOrder(record, lease_owner, options_.lease);
  if (!created.ok()) return created.status();
  // Not recorded for this key: once the other order is settled, a repeat learns the outcome.
  if (created->cart_ordered_at) return CartOrdered(*created->cart_ordered_at);
  if (!created->created) return Replay(created->record, request.request_fingerprint());
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
  const std::string id = order.order.id();

  // 1. Stock.
  if (absl::Status s = ReserveStock(order); !s.ok()) {
    const std::string code = ExplicitErrorCodeOf(s);
    // ReserveStock is all or nothing: after these refusals no stock is held.
    if (code == "out_of_stock") {
      return FailForward(
          std::move(order), lease_owner,
          {"out_of_stock", absl::StatusCode::kFailedPrecondition, std::string(s.message())},
          /*release_stock=*/false);
    }
    if (code == "product_not_found") {
      return FailForward(std::move(order), lease_owner,
                         {"product_unavailable", absl::StatusCode::kFailedPrecondition,
                          "a product in the cart is no longer sold; remove it from the cart"},
                         /*release_stock=*/false);
    }
    if (CallNotSent(s)) {
      // Our own breaker or bulkhead refused the call: nothing was reserved.
      return FailForward(std::move(order), lease_owner,
                         {kInterruptedCode, absl::StatusCode::kAborted, kInterruptedMessage},
                         /*release_stock=*/false);
    }
    return Abandon(std::move(order), lease_owner, s);
  }
  if (absl::Status s = store_.Advance(order, lease_owner,
                                      {.step = OrderStep::kReserved, .detail = "stock reserved"},
                                      options_.lease);
      !s.ok()) {
    if (ExplicitErrorCodeOf(s) == "lease_lost") return LeaseLost(order, "");
    return Abandon(std::move(order), lease_owner, s);
  }

  // 2. Authorization. From here on a payment may exist.
  auto authorized = Authorize(order, card);
  if (!authorized.ok()) {
    if (authorized.status().code() == absl::StatusCode::kInvalidArgument) {
      // Refused before anything was recorded (invalid_card, card_expired, invalid_amount).
      return FailForward(std::move(order), lease_owner,
                         {ErrorCodeOf(authorized.status()), absl::StatusCode::kInvalidArgument,
                          std::string(authorized.status().message())},
                         /*release_stock=*/true);
    }
    if (CallNotSent(authorized.status())) {
      // Our own breaker or bulkhead refused the call (payment failed just now): no payment
      // exists and none can appear, so the stock goes back at once. The order itself is
      // settled like any other payment outage (503 order_pending now; recovery records it
      // failed once payment answers), so that this request's answer is a 503 too.
      if (auto released = ReleaseStock(order.order.id()); !released.ok()) {
        spdlog::warn("order {}: releasing the stock failed: {}", order.order.id(),
                     released.status());
      }
    }
    if (PaymentUnreachable(authorized.status())) {
      return Postpone(order, lease_owner, authorized.status());
    }
    return Abandon(std::move(order), lease_owner, authorized.status());
  }
  if (authorized->state() == payment::v1::PAYMENT_STATE_DECLINED) {
    auto [code, message] = DeclineOf(authorized->decline_code());
    return FailForward(std::move(order), lease_owner,
                       {code, absl::StatusCode::kFailedPrecondition, message},
                       /*release_stock=*/true);
  }
  if (authorized->state() != payment::v1::PAYMENT_STATE_AUTHORIZED) {
    return Abandon(std::move(order), lease_owner,
                   absl::InternalError("the payment is not in the authorized state"));
  }
  const std::string payment_id = authorized->id();
  if (absl::Status s = store_.Advance(order, lease_owner,
                                      {.step = OrderStep::kAuthorized,
                                       .detail = "payment authorized",
                                       .payment_id = payment_id,
                                       .card_brand = authorized->card_brand(),
                                       .card_last4 = authorized->card_last4()},
                                      options_.lease);
      !s.ok()) {
    if (ExplicitErrorCodeOf(s) == "lease_lost") return LeaseLost(order, payment_id);
    return Abandon(std::move(order), lease_owner, s);
  }

  // 3. Capture.
  auto captured = Capture(payment_id);
  if (!captured.ok()) return Abandon(std::move(order), lease_owner, captured.status());
  if (absl::Status s = store_.Advance(order, lease_owner,
                                      {.step = OrderStep::kCaptured, .detail = "payment captured"},
                                      options_.lease);
      !s.ok()) {
    if (ExplicitErrorCodeOf(s) == "lease_lost") return LeaseLost(order, "");
    return Abandon(std::move(order), lease_owner, s);
  }

  // 4. The stock is sold; the order is paid.
  if (absl::Status s = CommitStock(id); !s.ok()) {
    return Abandon(std::move(order), lease_owner, s);
  }
  Resolution paid = Paid(std::move(order), lease_owner, Driver::kRequest);
  if (paid.record.step == OrderStep::kPaid) return paid.record.order;
  if (ExplicitErrorCodeOf(paid.pending_cause) == "lease_lost") return LeaseLost(paid.record, "");
  return Abandon(std::move(paid.record), lease_owner, paid.pending_cause);
}

absl::StatusOr<v1::Order> OrderSaga::FailForward(OrderRecord order, const std::string& lease_owner,
                                                 Failure failure, bool release_stock) {
  if (release_stock) {
    auto released = ReleaseStock(order.order.id());
    if (!released.ok()) return Abandon(std::move(order), lease_owner, released.status());
    metrics_.CountCompensation(Compensation::kReleaseStock);
  }
  Resolution r = Failed(std::move(order), lease_owner, failure,
                        release_stock ? "stock released" : "no stock reserved", Driver::kRequest);
  if (r.record.step == OrderStep::kFailed) return FailureOf(r.record);
  if (ExplicitErrorCodeOf(r.pending_cause) == "lease_lost") return LeaseLost(r.record, "");
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
  if (ExplicitErrorCodeOf(r.pending_cause) == "lease_lost") return LeaseLost(r.record, "");
  return OrderPending();
}

absl::Status OrderSaga::Postpone(const OrderRecord& order, const std::string& lease_owner,
                                 const absl::Status& cause) {
  spdlog::warn("order {} at step {}: {}; recovery settles it", order.order.id(),
               StepName(order.step), cause);
  if (absl::Status s = store_.ReleaseLease(order.order.id(), lease_owner); !s.ok()) {
    spdlog::warn("order {}: giving up the lease failed: {}", order.order.id(), s);
  }
  return OrderPending();
}

absl::Status OrderSaga::OrderPending() const {
  return ErrorWithCode(
      absl::StatusCode::kUnavailable, "order_pending",
      "the order could not be completed now; it will be completed or "
      "cancelled shortly; repeat the request with the same Idempotency-Key "
      "to learn its outcome",
      /*retry_after_seconds=*/static_cast<int>(absl::ToInt64Seconds(options_.payment_grace) + 1));
}

absl::Status OrderSaga::LeaseLost(const OrderRecord& order,
                                  const std::string& authorized_payment_id) {
  spdlog::warn("order {} is driven by recovery now; this request stops", order.order.id());
  if (!authorized_payment_id.empty()) {
    // Recovery may have failed the order before this authorization was visible to it; then
    // nobody else will void it.
    auto now = store_.GetOrder(order.order.id());
    if (now.ok() && now->step == OrderStep::kFailed) {
      if (auto voided = Void(authorized_payment_id); voided.ok()) {
        metrics_.CountCompensation(Compensation::kVoidPayment);
      }
    }
  }
  return ErrorWithCode(absl::StatusCode::kAborted, "in_progress",
                       "the order is being completed; repeat the request with the same "
                       "Idempotency-Key to learn its outcome",
                       /*retry_after_seconds=*/1);
}

Resolution OrderSaga::Resolve(OrderRecord order, const std::string& lease_owner, Driver driver) {
  std::optional<ScopedCallContext> scope;
  if (driver == Driver::kRecovery) scope.emplace(RecoveryContext(order));
  const std::string id = order.order.id();
  auto pending = [&](absl::Status cause) -> Resolution {
    if (absl::Status s = store_.ReleaseLease(id, lease_owner); !s.ok()) {
      spdlog::warn("order {}: giving up the lease failed: {}", id, s);
    }
    return {std::move(order), std::move(cause)};
  };

  std::optional<payment::v1::Payment> payment;
  // Whether an Authorize may have been sent. A request knows its own progress; recovery does
  // not trust the recorded step alone, since intermediate steps are committed without waiting
  // for the disk (PostgresCheckoutStore) and a database crash may have lost the latest.
  const bool payment_possible = order.step < OrderStep::kPaid &&
                                (driver == Driver::kRecovery || order.step >= OrderStep::kReserved);
  if (payment_possible) {
    // The payment service knows what came of it.
    auto found = GetPaymentOf(id);
    if (found.ok()) {
      payment = *std::move(found);
    } else if (found.status().code() != absl::StatusCode::kNotFound) {
      return pending(found.status());
    } else if (options_.clock() - order.updated_at < options_.payment_grace) {
      return pending(absl::UnavailableError("the outcome of the authorization is not known yet"));
    }
  }

  std::optional<Failure> failure;
  std::string detail;
  if (payment && payment->state() == payment::v1::PAYMENT_STATE_CAPTURED) {
    // Money moved: roll forward if the stock can still be sold.
    absl::Status committed = CommitStock(id);
    if (committed.ok()) {
      if (order.order.payment_id().empty()) {
        // Captured before the authorization was recorded: record it with the payment.
        order.order.set_payment_id(payment->id());
        order.order.set_card_brand(payment->card_brand());
        order.order.set_card_last4(payment->card_last4());
      }
      return Paid(std::move(order), lease_owner, driver);
    }
    const std::string code = ExplicitErrorCodeOf(committed);
    if (code != "reservation_closed" && code != "reservation_not_found") {
      return pending(committed);
    }
    auto refunded = Refund(payment->id());
    if (!refunded.ok()) return pending(refunded.status());
    metrics_.CountCompensation(Compensation::kRefundPayment);
    payment = *std::move(refunded);
    failure = Failure{"reservation_expired", absl::StatusCode::kAborted,
                      "the stock reservation expired before the order was completed; the "
                      "payment was refunded"};
    detail = "reservation expired; payment refunded; ";
  }
  // Pending: the payment service recorded the payment but not (yet) the processor's answer;
  // a void cancels whatever the processor made.
  if (payment && (payment->state() == payment::v1::PAYMENT_STATE_AUTHORIZED ||
                  payment->state() == payment::v1::PAYMENT_STATE_PENDING)) {
    auto voided = Void(payment->id());
    if (!voided.ok()) return pending(voided.status());
    metrics_.CountCompensation(Compensation::kVoidPayment);
    payment = *std::move(voided);
    detail = "payment voided; ";
  }
  auto released = ReleaseStock(id);
  if (!released.ok()) return pending(released.status());
  if (released->items_size() > 0) metrics_.CountCompensation(Compensation::kReleaseStock);
  detail += "stock released";

  if (!failure) {
    if (payment && payment->state() == payment::v1::PAYMENT_STATE_DECLINED) {
      auto [code, message] = DeclineOf(payment->decline_code());
      failure = Failure{code, absl::StatusCode::kFailedPrecondition, message};
    } else {
      failure = Failure{kInterruptedCode, absl::StatusCode::kAborted, kInterruptedMessage};
    }
  }
  if (payment && order.order.payment_id().empty()) {
    order.order.set_payment_id(payment->id());
  }
  return Failed(std::move(order), lease_owner, *failure, detail, driver);
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
    return {std::move(order), s};
  }
  metrics_.CountPaid(order.order.total().amount(), order.order.total().currency(), recovered);
  spdlog::info("order {} paid{}: {} {}", order.order.id(), recovered ? " (recovered)" : "",
               order.order.total().amount(), order.order.total().currency());
  ClearCart(order.order);
  return {std::move(order), absl::OkStatus()};
}

Resolution OrderSaga::Failed(OrderRecord order, const std::string& lease_owner,
                             const Failure& failure, const std::string& detail, Driver driver) {
  const bool recovered = driver == Driver::kRecovery;
  StepUpdate update{.step = OrderStep::kFailed,
                    .detail = recovered ? absl::StrCat(detail, " (recovery)") : detail,
                    .payment_id = order.order.payment_id(),
                    .failure_code = failure.code,
                    .failure_status = failure.status,
                    .failure_message = failure.message};
  if (absl::Status s = store_.Advance(order, lease_owner, update, options_.lease); !s.ok()) {
    spdlog::warn("order {}: recording it as failed failed: {}", order.order.id(), s);
    return {std::move(order), s};
  }
  metrics_.CountFailed(failure.code, recovered);
  spdlog::info("order {} failed{}: {}", order.order.id(), recovered ? " (recovered)" : "",
               failure.code);
  return {std::move(order), absl::OkStatus()};
}

// ---- the other services ----

absl::StatusOr<OrderSaga::CartSnapshot> OrderSaga::ReadCart() {
  cart::v1::GetCartRequest request;
  cart::v1::Cart cart;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(cart_.GetCart(ctx.get(), request, &cart));
  if (!s.ok()) return s;
  CartSnapshot snapshot;
  snapshot.revision = cart.revision();
  snapshot.lines.reserve(cart.items_size());
  for (const auto& item : cart.items()) {
    snapshot.lines.push_back({.product_id = item.product_id(), .quantity = item.quantity()});
  }
  return snapshot;
}

absl::Status OrderSaga::FetchProducts(
    const std::vector<CartLine>& lines,
    std::unordered_map<std::string, catalog::v1::Product>& products) {
  for (size_t start = 0; start < lines.size(); start += kCatalogBatchSize) {
    catalog::v1::BatchGetProductsRequest request;
    const size_t end = std::min(lines.size(), start + kCatalogBatchSize);
    for (size_t i = start; i < end; ++i) request.add_ids(lines[i].product_id);
    catalog::v1::BatchGetProductsResponse reply;
    auto ctx = NewClientContext(options_.rpc_timeout);
    absl::Status s = FromGrpcStatus(catalog_.BatchGetProducts(ctx.get(), request, &reply));
    if (!s.ok()) return s;
    for (auto& p : *reply.mutable_products()) {
      std::string product_id = p.id();
      products.insert_or_assign(std::move(product_id), std::move(p));
    }
  }
  return absl::OkStatus();
}

absl::Status OrderSaga::ReserveStock(const OrderRecord& order) {
  catalog::v1::ReserveStockRequest request;
  request.set_reservation_id(order.order.id());
  request.set_ttl_seconds(static_cast<int32_t>(options_.reservation_ttl.count()));
  for (const auto& item : order.order.items()) {
    auto* r = request.add_items();
    r->set_product_id(item.product_id());
    r->set_quantity(item.quantity());
  }
  catalog::v1::Reservation reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  return FromGrpcStatus(catalog_.ReserveStock(ctx.get(), request, &reply));
}

absl::StatusOr<catalog::v1::Reservation> OrderSaga::ReleaseStock(const std::string& order_id) {
  catalog::v1::ReleaseReservationRequest request;
  request.set_reservation_id(order_id);
  catalog::v1::Reservation reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(catalog_.ReleaseReservation(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::Status OrderSaga::CommitStock(const std::string& order_id) {
  catalog::v1::CommitReservationRequest request;
  request.set_reservation_id(order_id);
  catalog::v1::Reservation reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  return FromGrpcStatus(catalog_.CommitReservation(ctx.get(), request, &reply));
}

absl::StatusOr<payment::v1::Payment> OrderSaga::Authorize(const OrderRecord& order,
                                                          const common::v1::Card& card) {
  payment::v1::AuthorizeRequest request;
  request.set_idempotency_key(PaymentKeyFor(order.order.id()));
  *request.mutable_amount() = order.order.total();
  *request.mutable_card() = card;
  request.set_order_id(order.order.id());
  payment::v1::Payment reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(payment_.Authorize(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<payment::v1::Payment> OrderSaga::GetPaymentOf(const std::string& order_id) {
  payment::v1::GetPaymentRequest request;
  request.set_idempotency_key(PaymentKeyFor(order_id));
  payment::v1::Payment reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(payment_.GetPayment(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<payment::v1::Payment> OrderSaga::Capture(const std::string& payment_id) {
  payment::v1::CaptureRequest request;
  request.set_payment_id(payment_id);
  payment::v1::Payment reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(payment_.Capture(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<payment::v1::Payment> OrderSaga::Void(const std::string& payment_id) {
  payment::v1::VoidRequest request;
  request.set_payment_id(payment_id);
  payment::v1::Payment reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(payment_.Void(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<payment::v1::Payment> OrderSaga::Refund(const std::string& payment_id) {
  payment::v1::RefundRequest request;
  request.set_payment_id(payment_id);
  payment::v1::Payment reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(payment_.Refund(ctx.get(), request, &reply));
  if (!s.ok()) return s;
  return reply;
}

void OrderSaga::ClearCart(const v1::Order& order) {
  // Only what was bought leaves the cart: lines the shopper added while the order was being
  // placed stay there.
  cart::v1::ClearCartRequest request;
  for (const auto& item : order.items()) {
    auto* take = request.add_take();
    take->set_product_id(item.product_id());
    take->set_quantity(item.quantity());
  }
  cart::v1::Cart reply;
  auto ctx = NewClientContext(options_.rpc_timeout);
  absl::Status s = FromGrpcStatus(cart_.ClearCart(ctx.get(), request, &reply));
  if (!s.ok()) {
    spdlog::warn("order {} is paid but taking its lines out of the cart failed: {}", order.id(), s);
  }
}

}  // namespace mercato::checkout
