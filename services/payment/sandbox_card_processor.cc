#include "payment/sandbox_card_processor.h"

#include "absl/strings/match.h"
#include "common/ids.h"

namespace mercato::payment {
namespace {

constexpr char kReferencePrefix[] = "sbx_";

absl::Status CheckReference(const std::string& reference) {
  if (!absl::StartsWith(reference, kReferencePrefix)) {
    return absl::InvalidArgumentError("not a sandbox authorization reference");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AuthorizationResult> SandboxCardProcessor::Authorize(
    const AuthorizationRequest& request) {
  AuthorizationResult result;
  result.reference = std::string(kReferencePrefix) + RandomHex(12);
  if (request.card.number == kSandboxDeclinedCard) {
    result.decline_code = "card_declined";
  } else if (request.card.number == kSandboxInsufficientFundsCard) {
    result.decline_code = "insufficient_funds";
  } else {
    result.approved = true;
  }
  return result;
}

absl::Status SandboxCardProcessor::Capture(const std::string& reference, int64_t) {
  return CheckReference(reference);
}

absl::Status SandboxCardProcessor::Void(const std::string& reference) {
  return CheckReference(reference);
}

absl::Status SandboxCardProcessor::Refund(const std::string& reference, int64_t) {
  return CheckReference(reference);
}

}  // namespace mercato::payment
