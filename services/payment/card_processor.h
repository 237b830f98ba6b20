// The provider interface: the one place a card network or acquirer (Stripe, Adyen, ...)
// plugs in. The payment service validates the card, owns idempotency and the state machine,
// and calls the processor only for a move it has claimed in its database transaction.
//
//   SandboxCardProcessor processor;
//   auto result = processor.Authorize({.card = card, .amount = 1999, .currency = "USD",
//                                      .idempotency_key = "order-1"});
//   if (result.ok() && !result->approved) result->decline_code;   // "card_declined"
//
// A declined card is a normal result, not an error; an error status means the processor
// could not be asked (the whole call then fails and nothing is recorded).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "payment/card.h"

namespace mercato::payment {

struct AuthorizationRequest {
  const ValidatedCard& card;
  std::string cvc;
  int64_t amount = 0;
  std::string currency;
  // Passed on as the processor's own idempotency key: asking again with it (a retry after a
  // crash or a lost answer) returns the same authorization, never a second one.
  std::string idempotency_key;
};

struct AuthorizationResult {
  bool approved = false;
  // Set when declined: "card_declined", "insufficient_funds", ...
  std::string decline_code;
  // The processor's id of the authorization, for capture, void and refund.
  std::string reference;
};

// A Capture / Void / Refund that finds the authorization already in another final state at
// the processor (our record of an earlier move was lost: a crash between the processor's
// answer and the commit) fails with FAILED_PRECONDITION and the error code
// kProcessorAlreadyPrefix + the state's name ("processor_already_captured"), so that the
// service can record what the processor holds instead of failing forever.
inline constexpr char kProcessorAlreadyPrefix[] = "processor_already_";

class CardProcessor {
 public:
  virtual ~CardProcessor() = default;

  virtual absl::StatusOr<AuthorizationResult> Authorize(const AuthorizationRequest& request) = 0;
  // Each takes the reference Authorize returned. Capture and Void move the whole amount.
  virtual absl::Status Capture(const std::string& reference, int64_t amount) = 0;
  virtual absl::Status Void(const std::string& reference) = 0;
  // Returns `amount` of the captured money, idempotently per (reference, refund_key): asking
  // again with a key refunds nothing more.
  virtual absl::Status Refund(const std::string& reference, int64_t amount,
                              const std::string& refund_key) = 0;
  // Cancels whatever Authorize made for this idempotency key, if anything: what processors
  // call a technical cancel by merchant reference, for when the answer (and the reference in
  // it) was lost, e.g. by a crash between asking and recording. OK when there is nothing.
  virtual absl::Status VoidByKey(const std::string& idempotency_key) = 0;
};

using CardProcessorPtr = std::unique_ptr<CardProcessor>;

}  // namespace mercato::payment
