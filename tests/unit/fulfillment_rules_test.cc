// The fulfillment worker's rules without I/O: which carrier an order goes to, the tracking
// number's form, the state machine and what checkout's answers mean.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/status.h"
#include "fulfillment/shipment_rules.h"

namespace mercato::fulfillment {
namespace {

using checkout::v1::FULFILLMENT_STAGE_DELIVERED;
using checkout::v1::FULFILLMENT_STAGE_FULFILLING;
using checkout::v1::FULFILLMENT_STAGE_SHIPPED;

const std::vector<std::string> kCarriers = {"Mercato Post", "Parcel Express", "Swift"};

TEST(FulfillmentCarrierTest, AnOrderAlwaysGoesToTheSameCarrier) {
  const std::string order = "5b0f6f4e-3c1a-4d8e-9a51-2f7c1e0d9b33";
  const std::string& first = CarrierFor(order, kCarriers);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(CarrierFor(order, kCarriers), first);
  // FNV-1a of the id: stable across builds, so a restarted replica agrees.
  EXPECT_EQ(CarrierFor("a", {"x", "y"}), CarrierFor("a", {"x", "y"}));
}

TEST(FulfillmentCarrierTest, OrdersSpreadOverEveryCarrier) {
  std::map<std::string, int> per_carrier;
  for (int i = 0; i < 3000; ++i) {
    ++per_carrier[CarrierFor("order-" + std::to_string(i), kCarriers)];
  }
  ASSERT_EQ(per_carrier.size(), 3u);
  for (const auto& [carrier, n] : per_carrier) {
    EXPECT_GT(n, 800) << carrier;
    EXPECT_LT(n, 1200) << carrier;
  }
}

TEST(FulfillmentCarrierTest, OneCarrierTakesEverything) {
  EXPECT_EQ(CarrierFor("any", {"Only"}), "Only");
}

TEST(FulfillmentTrackingTest, MpAndTwelveDigits) {
  std::mt19937_64 random(42);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string tracking = NewTrackingNumber(random);
    EXPECT_EQ(tracking.size(), 14u);
    EXPECT_EQ(tracking.substr(0, 2), "MP");
    EXPECT_TRUE(IsTrackingNumber(tracking)) << tracking;
    seen.insert(tracking);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(FulfillmentTrackingTest, RecognisesOnlyTheFormat) {
  EXPECT_TRUE(IsTrackingNumber("MP000000000000"));
  EXPECT_FALSE(IsTrackingNumber("MP00000000000"));    // 11 digits
  EXPECT_FALSE(IsTrackingNumber("MP0000000000000"));  // 13
  EXPECT_FALSE(IsTrackingNumber("XP000000000000"));
  EXPECT_FALSE(IsTrackingNumber("MP00000000000a"));
  EXPECT_FALSE(IsTrackingNumber(""));
}

TEST(FulfillmentStateTest, StatesRoundTripTheirStoredNames) {
  for (auto state : {ShipmentState::kCreated, ShipmentState::kPacking, ShipmentState::kShipped,
                     ShipmentState::kDelivered, ShipmentState::kCancelled}) {
    EXPECT_EQ(ParseState(StateName(state)), state);
  }
  EXPECT_EQ(ParseState("lost"), std::nullopt);
}

TEST(FulfillmentStateTest, EachStepRecordsTheNextStageAndMovesForward) {
  auto step = NextStep(ShipmentState::kCreated);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->stage, FULFILLMENT_STAGE_FULFILLING);
  EXPECT_EQ(step->next, ShipmentState::kPacking);
  step = NextStep(ShipmentState::kPacking);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->stage, FULFILLMENT_STAGE_SHIPPED);
  EXPECT_EQ(step->next, ShipmentState::kShipped);
  step = NextStep(ShipmentState::kShipped);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->stage, FULFILLMENT_STAGE_DELIVERED);
  EXPECT_EQ(step->next, ShipmentState::kDelivered);
  EXPECT_EQ(NextStep(ShipmentState::kDelivered), std::nullopt);
  EXPECT_EQ(NextStep(ShipmentState::kCancelled), std::nullopt);
}

TEST(FulfillmentStateTest, OnlyUnshippedShipmentsCanBeCancelled) {
  EXPECT_TRUE(IsCancellable(ShipmentState::kCreated));
  EXPECT_TRUE(IsCancellable(ShipmentState::kPacking));
  EXPECT_FALSE(IsCancellable(ShipmentState::kShipped));
  EXPECT_FALSE(IsCancellable(ShipmentState::kDelivered));
  EXPECT_FALSE(IsCancellable(ShipmentState::kCancelled));
  EXPECT_TRUE(IsFinal(ShipmentState::kDelivered));
  EXPECT_TRUE(IsFinal(ShipmentState::kCancelled));
  EXPECT_FALSE(IsFinal(ShipmentState::kShipped));
}

absl::Status Refused(const char* code) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, code, "refused");
}

TEST(FulfillmentVerdictTest, CancelledOrRefundedOrdersAreNeverShipped) {
  EXPECT_EQ(Judge(absl::OkStatus(), FULFILLMENT_STAGE_SHIPPED), Verdict::kRecorded);
  EXPECT_EQ(Judge(Refused("order_cancelled"), FULFILLMENT_STAGE_FULFILLING), Verdict::kCancelled);
  EXPECT_EQ(Judge(Refused("order_cancelled"), FULFILLMENT_STAGE_SHIPPED), Verdict::kCancelled);
  EXPECT_EQ(Judge(Refused("order_refunded"), FULFILLMENT_STAGE_SHIPPED), Verdict::kCancelled);
  // Shipped is shipped: delivery is retried, never turned into a cancel.
  EXPECT_EQ(Judge(Refused("order_cancelled"), FULFILLMENT_STAGE_DELIVERED), Verdict::kRetry);
}

TEST(FulfillmentVerdictTest, EverythingElseIsRetried) {
  EXPECT_EQ(Judge(absl::UnavailableError("down"), FULFILLMENT_STAGE_SHIPPED), Verdict::kRetry);
  EXPECT_EQ(Judge(absl::DeadlineExceededError("slow"), FULFILLMENT_STAGE_SHIPPED), Verdict::kRetry);
  EXPECT_EQ(Judge(Refused("order_not_paid"), FULFILLMENT_STAGE_FULFILLING), Verdict::kRetry);
  // The code alone is not enough: it must be a FAILED_PRECONDITION.
  EXPECT_EQ(Judge(ErrorWithCode(absl::StatusCode::kInternal, "order_cancelled", "odd"),
                  FULFILLMENT_STAGE_SHIPPED),
            Verdict::kRetry);
}

TEST(FulfillmentVerdictTest, RetriesBackOffUpToThirtySeconds) {
  using std::chrono::milliseconds;
  EXPECT_EQ(RetryDelay(1), milliseconds(500));
  EXPECT_EQ(RetryDelay(2), milliseconds(1000));
  EXPECT_EQ(RetryDelay(3), milliseconds(2000));
  EXPECT_EQ(RetryDelay(7), milliseconds(30000));
  EXPECT_EQ(RetryDelay(100), milliseconds(30000));
  EXPECT_EQ(RetryDelay(0), milliseconds(500));
}

}  // namespace
}  // namespace mercato::fulfillment
