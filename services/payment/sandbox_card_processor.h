// An in-process, deterministic CardProcessor for development and tests; it moves no money.
// Outcomes depend on the card number only (the service has already checked Luhn/expiry):
//
//   4242424242424242   approved
//   4000000000000002   declined "card_declined"
//   4000000000009995   declined "insufficient_funds"
//   any other number   approved
//
// Capture, Void and Refund of an authorization it approved always succeed.
#pragma once

#include "payment/card_processor.h"

namespace mercato::payment {

inline constexpr char kSandboxApprovedCard[] = "4242424242424242";
inline constexpr char kSandboxDeclinedCard[] = "4000000000000002";
inline constexpr char kSandboxInsufficientFundsCard[] = "4000000000009995";

class SandboxCardProcessor final : public CardProcessor {
 public:
  absl::StatusOr<AuthorizationResult> Authorize(const AuthorizationRequest& request) override;
  absl::Status Capture(const std::string& reference, int64_t amount) override;
  absl::Status Void(const std::string& reference) override;
  absl::Status Refund(const std::string& reference, int64_t amount) override;
};

}  // namespace mercato::payment
