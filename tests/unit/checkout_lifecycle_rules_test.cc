// Unit tests of the rules of an order's life after payment (order_lifecycle_rules.h): which
// status allows a cancel, a refund, which fulfillment stage; how a refund is planned and
// fingerprinted.
#include <gtest/gtest.h>

#include "checkout/order_lifecycle.h"
#include "checkout/order_lifecycle_rules.h"
#include "common/status.h"

namespace mercato::checkout {
namespace {

void ExpectCode(const absl::Status& status, absl::StatusCode code, const std::string& error_code) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ErrorCodeOf(status), error_code) << status;
}

// A paid order of 2 x A at 1000 and 1 x B at 500, total 2500 + 499 shipping + 0 tax = 2999.
OrderRecord PaidOrder(v1::OrderStatus status = v1::ORDER_STATUS_PAID,
                      FulfillmentStage stage = FulfillmentStage::kNone) {
  OrderRecord r;
  r.step = OrderStep::kPaid;
  r.stage = stage;
  r.order.set_status(status);
  auto add = [&](const std::string& id, int quantity, int64_t price) {
    v1::OrderItem* item = r.order.add_items();
    item->set_product_id(id);
    item->set_quantity(quantity);
    item->mutable_unit_price()->set_amount(price);
    item->mutable_unit_price()->set_currency("USD");
    item->mutable_line_total()->set_amount(price * quantity);
  };
  add("A", 2, 1000);
  add("B", 1, 500);
  r.order.mutable_total()->set_amount(2999);
  r.order.mutable_total()->set_currency("USD");
  return r;
}

TEST(OrderLifecycleRulesTest, NamesRoundTrip) {
  for (int s = v1::ORDER_STATUS_PENDING; s <= v1::ORDER_STATUS_PARTIALLY_REFUNDED; ++s) {
    const auto status = static_cast<v1::OrderStatus>(s);
    EXPECT_EQ(OrderStatusFromName(OrderStatusName(status)), status);
  }
  EXPECT_EQ(OrderStatusName(v1::ORDER_STATUS_PARTIALLY_REFUNDED), "partially_refunded");
  EXPECT_EQ(StageFromName("shipped"), FulfillmentStage::kShipped);
  EXPECT_EQ(CancelStepFromName(""), CancelStep::kNone);
  EXPECT_EQ(CancelStepName(CancelStep::kReturned), "returned");
  EXPECT_FALSE(OrderStatusFromName("lost").has_value());
  EXPECT_FALSE(StageFromName("lost").has_value());
}

TEST(OrderLifecycleRulesTest, CancellableUntilSomethingShips) {
  EXPECT_TRUE(Cancellable(PaidOrder()));
  EXPECT_TRUE(Cancellable(PaidOrder(v1::ORDER_STATUS_FULFILLING, FulfillmentStage::kFulfilling)));
  EXPECT_TRUE(Cancellable(PaidOrder(v1::ORDER_STATUS_PARTIALLY_REFUNDED)));
  EXPECT_TRUE(
      Cancellable(PaidOrder(v1::ORDER_STATUS_PARTIALLY_REFUNDED, FulfillmentStage::kFulfilling)));
  // A partially refunded order that shipped is not.
  EXPECT_FALSE(
      Cancellable(PaidOrder(v1::ORDER_STATUS_PARTIALLY_REFUNDED, FulfillmentStage::kShipped)));
  for (auto status : {v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_FAILED, v1::ORDER_STATUS_SHIPPED,
                      v1::ORDER_STATUS_DELIVERED, v1::ORDER_STATUS_CANCELLING,
                      v1::ORDER_STATUS_CANCELLED, v1::ORDER_STATUS_REFUNDED}) {
    EXPECT_FALSE(Cancellable(PaidOrder(status))) << v1::OrderStatus_Name(status);
  }
  EXPECT_TRUE(CancelAccepted(PaidOrder(v1::ORDER_STATUS_CANCELLING)));
  EXPECT_TRUE(CancelAccepted(PaidOrder(v1::ORDER_STATUS_CANCELLED)));
  EXPECT_FALSE(CancelAccepted(PaidOrder()));
  ExpectCode(NotCancellable(), absl::StatusCode::kFailedPrecondition, "order_not_cancellable");
}

TEST(OrderLifecycleRulesTest, RefundableStatuses) {
  for (auto status : {v1::ORDER_STATUS_PAID, v1::ORDER_STATUS_FULFILLING, v1::ORDER_STATUS_SHIPPED,
                      v1::ORDER_STATUS_DELIVERED, v1::ORDER_STATUS_PARTIALLY_REFUNDED}) {
    EXPECT_TRUE(Refundable(PaidOrder(status))) << v1::OrderStatus_Name(status);
  }
  for (auto status :
       {v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_FAILED, v1::ORDER_STATUS_CANCELLING,
        v1::ORDER_STATUS_CANCELLED, v1::ORDER_STATUS_REFUNDED}) {
    EXPECT_FALSE(Refundable(PaidOrder(status))) << v1::OrderStatus_Name(status);
    v1::RefundOrderRequest all;
    all.set_idempotency_key("k");
    ExpectCode(PlanRefund(PaidOrder(status), all, {}).status(),
               absl::StatusCode::kFailedPrecondition, "order_not_refundable");
  }
}

TEST(OrderLifecycleRulesTest, RefundRequestShape) {
  v1::RefundOrderRequest r;
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument,
             "invalid_idempotency_key");
  r.set_idempotency_key(std::string(256, 'k'));
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument,
             "invalid_idempotency_key");
  r.set_idempotency_key("key-1");
  EXPECT_TRUE(ValidateRefundRequest(r).ok());  // neither: everything remaining
  r.mutable_amount()->set_amount(100);
  r.mutable_amount()->set_currency("USD");
  EXPECT_TRUE(ValidateRefundRequest(r).ok());
  auto* line = r.add_lines();
  line->set_product_id("A");
  line->set_quantity(1);
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument, "invalid_refund");
  r.clear_amount();
  EXPECT_TRUE(ValidateRefundRequest(r).ok());
  *r.add_lines() = *line;
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument, "invalid_refund");
  r.mutable_lines()->RemoveLast();
  r.mutable_lines(0)->set_quantity(0);
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument, "invalid_refund");
  r.clear_lines();
  r.mutable_amount()->set_amount(0);
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument, "invalid_refund");
  r.clear_amount();
  r.set_reason(std::string(501, 'r'));
  ExpectCode(ValidateRefundRequest(r), absl::StatusCode::kInvalidArgument, "invalid_refund");
}

TEST(OrderLifecycleRulesTest, PlansAllAmountAndLines) {
  OrderRecord order = PaidOrder();
  order.refund_reserved = 999;
  v1::RefundOrderRequest all;
  all.set_idempotency_key("k");
  auto plan = PlanRefund(order, all, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->amount, 2000);
  EXPECT_EQ(plan->fingerprint, "all");

  v1::RefundOrderRequest amount = all;
  amount.mutable_amount()->set_amount(2000);
  amount.mutable_amount()->set_currency("USD");
  EXPECT_EQ(PlanRefund(order, amount, {})->amount, 2000);
  amount.mutable_amount()->set_amount(2001);
  ExpectCode(PlanRefund(order, amount, {}).status(), absl::StatusCode::kFailedPrecondition,
             "refund_exceeds_capture");
  amount.mutable_amount()->set_currency("EUR");
  ExpectCode(PlanRefund(order, amount, {}).status(), absl::StatusCode::kInvalidArgument,
             "invalid_refund");

  v1::RefundOrderRequest lines = all;
  auto* b = lines.add_lines();
  b->set_product_id("B");
  b->set_quantity(1);
  auto* a = lines.add_lines();
  a->set_product_id("A");
  a->set_quantity(1);
  plan = PlanRefund(order, lines, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->amount, 1500);
  ASSERT_EQ(plan->lines.size(), 2u);
  EXPECT_EQ(plan->lines[0].amount, 500);
  EXPECT_EQ(plan->fingerprint, "lines:Ax1,Bx1");
  // One A of two already refunded: two more is more than the line holds.
  a->set_quantity(2);
  ExpectCode(PlanRefund(order, lines, {{"A", 1}}).status(), absl::StatusCode::kFailedPrecondition,
             "refund_exceeds_capture");
  a->set_product_id("Z");
  ExpectCode(PlanRefund(order, lines, {}).status(), absl::StatusCode::kInvalidArgument,
             "invalid_refund");
  // Nothing left: even "all" is refused.
  order.refund_reserved = 2999;
  ExpectCode(PlanRefund(order, all, {}).status(), absl::StatusCode::kFailedPrecondition,
             "refund_exceeds_capture");
}

TEST(OrderLifecycleRulesTest, StatusAfterRefund) {
  EXPECT_EQ(StatusAfterRefund(PaidOrder(), 1), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(StatusAfterRefund(PaidOrder(v1::ORDER_STATUS_SHIPPED), 2999),
            v1::ORDER_STATUS_REFUNDED);
  EXPECT_EQ(StatusAfterRefund(PaidOrder(v1::ORDER_STATUS_CANCELLING), 2999),
            v1::ORDER_STATUS_CANCELLING);
}

v1::RecordFulfillmentRequest Stage(v1::FulfillmentStage stage) {
  v1::RecordFulfillmentRequest r;
  r.set_order_id("o");
  r.set_stage(stage);
  if (stage == v1::FULFILLMENT_STAGE_SHIPPED) {
    r.set_carrier("Mercato Post");
    r.set_tracking_number("MP123");
  }
  return r;
}

TEST(OrderLifecycleRulesTest, FulfillmentRequestShape) {
  EXPECT_TRUE(ValidateFulfillmentRequest(Stage(v1::FULFILLMENT_STAGE_SHIPPED)).ok());
  auto shipped = Stage(v1::FULFILLMENT_STAGE_SHIPPED);
  shipped.clear_tracking_number();
  ExpectCode(ValidateFulfillmentRequest(shipped), absl::StatusCode::kInvalidArgument,
             "invalid_argument");
  shipped.set_tracking_number(std::string(65, 't'));
  ExpectCode(ValidateFulfillmentRequest(shipped), absl::StatusCode::kInvalidArgument,
             "invalid_argument");
  ExpectCode(ValidateFulfillmentRequest(Stage(v1::FULFILLMENT_STAGE_UNSPECIFIED)),
             absl::StatusCode::kInvalidArgument, "invalid_argument");
}

TEST(OrderLifecycleRulesTest, StagesMoveForwardOneAtATime) {
  auto move = DecideFulfillment(PaidOrder(), v1::FULFILLMENT_STAGE_FULFILLING);
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_FALSE(move->unchanged);
  EXPECT_EQ(move->stage, FulfillmentStage::kFulfilling);
  EXPECT_EQ(move->status, v1::ORDER_STATUS_FULFILLING);
  EXPECT_EQ(move->timeline_status, v1::ORDER_STATUS_FULFILLING);

  ExpectCode(DecideFulfillment(PaidOrder(), v1::FULFILLMENT_STAGE_SHIPPED).status(),
             absl::StatusCode::kFailedPrecondition, "invalid_stage");
  OrderRecord shipped = PaidOrder(v1::ORDER_STATUS_SHIPPED, FulfillmentStage::kShipped);
  ExpectCode(DecideFulfillment(shipped, v1::FULFILLMENT_STAGE_FULFILLING).status(),
             absl::StatusCode::kFailedPrecondition, "invalid_stage");
  // A repeat is unchanged.
  move = DecideFulfillment(shipped, v1::FULFILLMENT_STAGE_SHIPPED);
  ASSERT_TRUE(move.ok());
  EXPECT_TRUE(move->unchanged);
  move = DecideFulfillment(shipped, v1::FULFILLMENT_STAGE_DELIVERED);
  ASSERT_TRUE(move.ok());
  EXPECT_EQ(move->status, v1::ORDER_STATUS_DELIVERED);
}

TEST(OrderLifecycleRulesTest, StagesAfterCancelRefundAndBeforePayment) {
  for (auto status : {v1::ORDER_STATUS_PENDING, v1::ORDER_STATUS_FAILED}) {
    ExpectCode(DecideFulfillment(PaidOrder(status), v1::FULFILLMENT_STAGE_FULFILLING).status(),
               absl::StatusCode::kFailedPrecondition, "order_not_paid");
  }
  for (auto status : {v1::ORDER_STATUS_CANCELLING, v1::ORDER_STATUS_CANCELLED}) {
    OrderRecord cancelled = PaidOrder(status, FulfillmentStage::kFulfilling);
    ExpectCode(DecideFulfillment(cancelled, v1::FULFILLMENT_STAGE_SHIPPED).status(),
               absl::StatusCode::kFailedPrecondition, "order_cancelled");
    ExpectCode(DecideFulfillment(cancelled, v1::FULFILLMENT_STAGE_FULFILLING).status(),
               absl::StatusCode::kFailedPrecondition, "order_cancelled");
    // It never shipped, so it cannot be delivered either.
    ExpectCode(DecideFulfillment(cancelled, v1::FULFILLMENT_STAGE_DELIVERED).status(),
               absl::StatusCode::kFailedPrecondition, "invalid_stage");
  }
  ExpectCode(
      DecideFulfillment(PaidOrder(v1::ORDER_STATUS_REFUNDED), v1::FULFILLMENT_STAGE_FULFILLING)
          .status(),
      absl::StatusCode::kFailedPrecondition, "order_refunded");
  // A refunded order that shipped is still delivered; its status stays REFUNDED.
  auto move = DecideFulfillment(PaidOrder(v1::ORDER_STATUS_REFUNDED, FulfillmentStage::kShipped),
                                v1::FULFILLMENT_STAGE_DELIVERED);
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_EQ(move->status, v1::ORDER_STATUS_REFUNDED);
  EXPECT_EQ(move->timeline_status, v1::ORDER_STATUS_DELIVERED);
  // A partially refunded order ships; its status stays PARTIALLY_REFUNDED.
  move = DecideFulfillment(
      PaidOrder(v1::ORDER_STATUS_PARTIALLY_REFUNDED, FulfillmentStage::kFulfilling),
      v1::FULFILLMENT_STAGE_SHIPPED);
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_EQ(move->status, v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  EXPECT_EQ(move->stage, FulfillmentStage::kShipped);
}

TEST(OrderLifecycleRulesTest, PaymentRefundKeysFitThePaymentService) {
  EXPECT_EQ(OrderLifecycle::RefundKeyFor("k-1"), "refund:k-1");
  const std::string a = OrderLifecycle::RefundKeyFor(std::string(255, 'a'));
  const std::string b = OrderLifecycle::RefundKeyFor(std::string(254, 'a') + "b");
  EXPECT_LE(a.size(), 255u);
  EXPECT_LE(b.size(), 255u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, OrderLifecycle::RefundKeyFor(std::string(255, 'a')));
}

}  // namespace
}  // namespace mercato::checkout
