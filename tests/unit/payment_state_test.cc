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
const PaymentState kAll[] = {kU, kP, kA, kC, kR, kV, kD};

TEST(PaymentStateTest, SourceStates) {
  EXPECT_EQ(SourceStateFor(kC), kA);
  EXPECT_EQ(SourceStateFor(kV), kA);
  EXPECT_EQ(SourceStateFor(kR), kC);
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
      {{kA, kV}, TransitionKind::kApply},       {{kC, kR}, TransitionKind::kApply},
      {{kC, kC}, TransitionKind::kAlreadyDone}, {{kV, kV}, TransitionKind::kAlreadyDone},
      {{kR, kR}, TransitionKind::kAlreadyDone},
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
  EXPECT_EQ(legal, 7);
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
  for (PaymentState s : {kP, kA, kC, kR, kV, kD}) {
    EXPECT_EQ(StateFromName(StateName(s)), s);
  }
  EXPECT_EQ(StateName(kA), "authorized");
  EXPECT_EQ(StateName(kC), "captured");
  EXPECT_EQ(StateName(kR), "refunded");
  EXPECT_EQ(StateName(kV), "voided");
  EXPECT_EQ(StateName(kD), "declined");
  EXPECT_EQ(StateName(kP), "pending");
  EXPECT_EQ(StateName(kU), "unspecified");
  EXPECT_EQ(StateFromName("unspecified"), std::nullopt);
  EXPECT_EQ(StateFromName("AUTHORIZED"), std::nullopt);
  EXPECT_EQ(StateFromName(""), std::nullopt);
}

}  // namespace
}  // namespace mercato::payment
