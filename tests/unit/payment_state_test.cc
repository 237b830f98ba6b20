// The payment state machine: every (current, target) pair.
#include "payment/payment_state.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "common/status.h"

namespace mercato::payment {
namespace {

constexpr PaymentState kU = v1::PAYMENT_STATE_UNSPECIFIED;
constexpr PaymentState kA = v1::PAYMENT_STATE_AUTHORIZED;
constexpr PaymentState kC = v1::PAYMENT_STATE_CAPTURED;
constexpr PaymentState kR = v1::PAYMENT_STATE_REFUNDED;
constexpr PaymentState kV = v1::PAYMENT_STATE_VOIDED;
constexpr PaymentState kD = v1::PAYMENT_STATE_DECLINED;
constexpr PaymentState kP = v1::PAYMENT_STATE_PENDING;
constexpr PaymentState kPR = v1::PAYMENT_STATE_PARTIALLY_REFUNDED;
const PaymentState kAll[] = {kU, kP, kA, kC, kPR, kR, kV, kD};

TEST(PaymentStateTest, SourceStates) {
  EXPECT_EQ(SourceStateFor(kC), kA);
  EXPECT_EQ(SourceStateFor(kV), kA);
  // Refunds are not conditional moves (PlanRefund).
  EXPECT_EQ(SourceStateFor(kR), std::nullopt);
  EXPECT_EQ(SourceStateFor(kPR), std::nullopt);
  EXPECT_EQ(SourceStateFor(kA), std::nullopt);
  EXPECT_EQ(SourceStateFor(kD), std::nullopt);
  EXPECT_EQ(SourceStateFor(kU), std::nullopt);
  EXPECT_EQ(SourceStateFor(kP), std::nullopt);
  // A void also cancels a payment still pending (issue 15, defect 11).
  EXPECT_TRUE(IsSourceOf(kP, kV));
  EXPECT_TRUE(IsSourceOf(kA, kV));
  EXPECT_FALSE(IsSourceOf(kP, kC));
  EXPECT_FALSE(IsSourceOf(kP, kR));
}

TEST(PaymentStateTest, EveryPair) {
  // The only moves and idempotent repeats; every other pair is illegal.
  const std::map<std::pair<PaymentState, PaymentState>, TransitionKind> allowed = {
      {{kP, kV}, TransitionKind::kApply},       {{kA, kC}, TransitionKind::kApply},
      {{kA, kV}, TransitionKind::kApply},       {{kC, kC}, TransitionKind::kAlreadyDone},
      {{kV, kV}, TransitionKind::kAlreadyDone},
  };
  int legal = 0;
  for (PaymentState current : kAll) {
    for (PaymentState target : kAll) {
      auto it = allowed.find({current, target});
      const TransitionKind expected = it == allowed.end() ? TransitionKind::kIllegal : it->second;
      EXPECT_EQ(ClassifyTransition(current, target), expected)
          << StateName(current) << " -> " << StateName(target);
      absl::Status s = CheckTransition(current, target);
      if (expected == TransitionKind::kIllegal) {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(ErrorCodeOf(s), "invalid_transition");
        EXPECT_EQ(s.message(), "a payment in state " + StateName(current) + " cannot become " +
                                   StateName(target));
      } else {
        EXPECT_TRUE(s.ok()) << s;
        ++legal;
      }
    }
  }
  EXPECT_EQ(legal, 5);
}

TEST(PaymentStateTest, TerminalStatesLeadNowhere) {
  for (PaymentState terminal : {kR, kV, kD}) {
    for (PaymentState target : kAll) {
      if (target == terminal) continue;
      EXPECT_EQ(ClassifyTransition(terminal, target), TransitionKind::kIllegal)
          << StateName(terminal) << " -> " << StateName(target);
    }
  }
}

TEST(PaymentStateTest, NamesRoundTrip) {
  for (PaymentState s : {kP, kA, kC, kPR, kR, kV, kD}) {
    EXPECT_EQ(StateFromName(StateName(s)), s);
  }
  EXPECT_EQ(StateName(kA), "authorized");
  EXPECT_EQ(StateName(kC), "captured");
  EXPECT_EQ(StateName(kR), "refunded");
  EXPECT_EQ(StateName(kV), "voided");
  EXPECT_EQ(StateName(kD), "declined");
  EXPECT_EQ(StateName(kP), "pending");
  EXPECT_EQ(StateName(kPR), "partially_refunded");
  EXPECT_EQ(StateName(kU), "unspecified");
  EXPECT_EQ(StateFromName("unspecified"), std::nullopt);
  EXPECT_EQ(StateFromName("AUTHORIZED"), std::nullopt);
  EXPECT_EQ(StateFromName(""), std::nullopt);
}

v1::Payment Captured(PaymentState state, int64_t amount, int64_t refunded) {
  v1::Payment p;
  p.set_state(state);
  p.mutable_amount()->set_amount(amount);
  p.mutable_amount()->set_currency("EUR");
  p.mutable_refunded_amount()->set_amount(refunded);
  p.mutable_refunded_amount()->set_currency("EUR");
  return p;
}

common::v1::Money Eur(int64_t amount) {
  common::v1::Money m;
  m.set_amount(amount);
  m.set_currency("EUR");
  return m;
}

void ExpectRefusal(const absl::StatusOr<RefundPlan>& plan, absl::StatusCode code,
                   const std::string& error_code) {
  ASSERT_FALSE(plan.ok()) << "expected " << error_code;
  EXPECT_EQ(plan.status().code(), code) << plan.status();
  EXPECT_EQ(ErrorCodeOf(plan.status()), error_code) << plan.status();
}

TEST(PaymentStateTest, RefundsMoveCapturedToPartiallyRefundedToRefunded) {
  const common::v1::Money part = Eur(300);
  auto first = PlanRefund(Captured(kC, 1000, 0), &part, std::nullopt);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replay);
  EXPECT_EQ(first->amount, 300);
  EXPECT_EQ(first->next_state, kPR);
  const common::v1::Money rest = Eur(700);
  auto last = PlanRefund(Captured(kPR, 1000, 300), &rest, std::nullopt);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->amount, 700);
  EXPECT_EQ(last->next_state, kR);
  // Unset: what is left, or the whole.
  auto whole = PlanRefund(Captured(kC, 1000, 0), nullptr, std::nullopt);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->amount, 1000);
  EXPECT_EQ(whole->next_state, kR);
  auto remaining = PlanRefund(Captured(kPR, 1000, 999), nullptr, std::nullopt);
  ASSERT_TRUE(remaining.ok()) << remaining.status();
  EXPECT_EQ(remaining->amount, 1);
  EXPECT_EQ(remaining->next_state, kR);
}

TEST(PaymentStateTest, RefundsNeverExceedTheCapture) {
  const common::v1::Money one = Eur(1), too_much = Eur(701);
  ExpectRefusal(PlanRefund(Captured(kPR, 1000, 300), &too_much, std::nullopt),
                absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture");
  ExpectRefusal(PlanRefund(Captured(kR, 1000, 1000), &one, std::nullopt),
                absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture");
  ExpectRefusal(PlanRefund(Captured(kR, 1000, 1000), nullptr, std::nullopt),
                absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture");
}

TEST(PaymentStateTest, ARepeatedRefundKeyReplaysOrIsRefused) {
  const common::v1::Money same = Eur(300), other = Eur(301);
  for (PaymentState state : {kPR, kR}) {
    auto replay = PlanRefund(Captured(state, 1000, state == kR ? 1000 : 300), &same, 300);
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_TRUE(replay->replay);
    EXPECT_EQ(replay->amount, 0);
    auto unset = PlanRefund(Captured(state, 1000, state == kR ? 1000 : 300), nullptr, 300);
    ASSERT_TRUE(unset.ok()) << unset.status();
    EXPECT_TRUE(unset->replay);
    ExpectRefusal(PlanRefund(Captured(state, 1000, 300), &other, 300),
                  absl::StatusCode::kFailedPrecondition, "idempotency_key_reused");
  }
}

TEST(PaymentStateTest, OnlyCapturedMoneyIsRefunded) {
  for (PaymentState state : {kU, kP, kA, kV, kD}) {
    ExpectRefusal(PlanRefund(Captured(state, 1000, 0), nullptr, std::nullopt),
                  absl::StatusCode::kFailedPrecondition, "payment_not_captured");
    EXPECT_FALSE(IsRefundable(state));
  }
  EXPECT_TRUE(IsRefundable(kC));
  EXPECT_TRUE(IsRefundable(kPR));
  EXPECT_FALSE(IsRefundable(kR));
}

TEST(PaymentStateTest, ARefundAmountMustBePositiveAndInThePaymentsCurrency) {
  common::v1::Money zero = Eur(0), negative = Eur(-1), dollars = Eur(100);
  dollars.set_currency("USD");
  for (const common::v1::Money* bad : {&zero, &negative, &dollars}) {
    ExpectRefusal(PlanRefund(Captured(kC, 1000, 0), bad, std::nullopt),
                  absl::StatusCode::kInvalidArgument, "invalid_amount");
    // Checked before the key: a malformed repeat is malformed.
    ExpectRefusal(PlanRefund(Captured(kC, 1000, 0), bad, 100), absl::StatusCode::kInvalidArgument,
                  "invalid_amount");
  }
}

}  // namespace
}  // namespace mercato::payment
