// PaymentService logic (Do* methods) over the in-memory store, the sandbox processor and an
// injected clock: sandbox outcomes, validation, idempotency, the state machine, metrics.
#include "payment/payment_service.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "payment/sandbox_card_processor.h"
#include "payment_fake_store.h"

namespace mercato::payment {
namespace {

const std::string kKey(40, 'k');

absl::Time Utc(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone());
}

v1::AuthorizeRequest Request(const std::string& key, const std::string& number,
                             int64_t amount = 1999, const std::string& currency = "USD") {
  v1::AuthorizeRequest r;
  r.set_idempotency_key(key);
  r.mutable_amount()->set_amount(amount);
  r.mutable_amount()->set_currency(currency);
  r.mutable_card()->set_number(number);
  r.mutable_card()->set_exp_month(12);
  r.mutable_card()->set_exp_year(2030);
  r.mutable_card()->set_cvc("123");
  r.set_order_id("order-1");
  return r;
}

// The sandbox, except that every call fails when told to; it counts what it was asked.
class FlakyProcessor final : public CardProcessor {
 public:
  absl::Status fail_with;
  // Authorize calls, and the distinct authorizations they made.
  int authorize_calls = 0;
  std::set<std::string> references;
  std::vector<std::string> voided_keys;
  absl::StatusOr<AuthorizationResult> Authorize(const AuthorizationRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++authorize_calls;
    if (!fail_with.ok()) return fail_with;
    auto result = sandbox_.Authorize(r);
    if (result.ok()) references.insert(result->reference);
    return result;
  }
  absl::Status Capture(const std::string& ref, int64_t amount) override {
    return fail_with.ok() ? sandbox_.Capture(ref, amount) : fail_with;
  }
  absl::Status Void(const std::string& ref) override {
    if (!void_finds.empty()) {
      return ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                           kProcessorAlreadyPrefix + void_finds, "already " + void_finds);
    }
    return fail_with.ok() ? sandbox_.Void(ref) : fail_with;
  }
  // When set, Void answers that the processor holds the authorization in this state already.
  std::string void_finds;
  absl::Status Refund(const std::string& ref, int64_t amount, const std::string& key) override {
    if (!fail_with.ok()) return fail_with;
    std::lock_guard<std::mutex> lock(mu_);
    refunds.push_back({key, amount});
    return sandbox_.Refund(ref, amount, key);
  }
  // Every refund asked for: (refund key, amount).
  std::vector<std::pair<std::string, int64_t>> refunds;
  absl::Status VoidByKey(const std::string& key) override {
    if (!fail_with.ok()) return fail_with;
    voided_keys.push_back(key);
    return sandbox_.VoidByKey(key);
  }

 private:
  std::mutex mu_;
  SandboxCardProcessor sandbox_;
};

class PaymentServiceTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::Payment> Authorize(const v1::AuthorizeRequest& r) {
    v1::Payment p;
    absl::Status s = service_.DoAuthorize(r, &p);
    if (!s.ok()) return s;
    return p;
  }
  absl::StatusOr<v1::Payment> Move(const std::string& op, const std::string& id) {
    v1::Payment p;
    absl::Status s;
    if (op == "capture") {
      v1::CaptureRequest r;
      r.set_payment_id(id);
      s = service_.DoCapture(r, &p);
    } else if (op == "void") {
      v1::VoidRequest r;
      r.set_payment_id(id);
      s = service_.DoVoid(r, &p);
    } else {
      v1::RefundRequest r;
      r.set_payment_id(id);
      s = service_.DoRefund(r, &p);
    }
    if (!s.ok()) return s;
    return p;
  }
  double Counter(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        std::map<std::string, std::string> got;
        for (const auto& l : m.label) got[l.name] = l.value;
        if (got == labels) return m.counter.value;
      }
    }
    return -1;
  }
  double Outcome(const std::string& outcome) {
    return Counter("mercato_payment_authorizations_total", {{"outcome", outcome}});
  }
  double Moves(const std::string& from, const std::string& to) {
    return Counter("mercato_payment_transitions_total", {{"from", from}, {"to", to}});
  }

  absl::Time now_ = Utc(2026, 11, 26);
  FakePaymentStore store_;
  FlakyProcessor processor_;
  BoundedExecutor executor_{"payment-test", 1, 1};
  prometheus::Registry registry_;
  PaymentMetrics metrics_{registry_};
  PaymentService service_{
      store_, processor_, executor_, metrics_,
      PaymentServiceOptions{
          .fingerprint_key = kKey, .max_amount = 1'000'000, .clock = [this] { return now_; }}};
};

TEST_F(PaymentServiceTest, ApprovedCardIsAuthorized) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(IsUuid(p->id()));
  EXPECT_EQ(p->idempotency_key(), "k1");
  EXPECT_EQ(p->state(), v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(p->amount().amount(), 1999);
  EXPECT_EQ(p->amount().currency(), "USD");
  EXPECT_EQ(p->card_brand(), "visa");
  EXPECT_EQ(p->card_last4(), "4242");
  EXPECT_EQ(p->decline_code(), "");
  EXPECT_EQ(p->order_id(), "order-1");
  EXPECT_GT(p->created_at_unix_ms(), 0);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(processor_.authorize_calls, 1);
  EXPECT_EQ(Outcome("approved"), 1);
  EXPECT_EQ(Outcome("declined"), 0);
  EXPECT_EQ(Moves("none", "pending"), 1);
  EXPECT_EQ(Moves("pending", "authorized"), 1);
  // Recorded pending before the processor was asked (issue 15, defect 11).
  auto events = store_.ListEvents(p->id());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].to, v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ((*events)[1].from, v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ((*events)[1].to, v1::PAYMENT_STATE_AUTHORIZED);
}

TEST_F(PaymentServiceTest, DeclinedCardIsAPaymentNotAnError) {
  auto p = Authorize(Request("k1", kSandboxDeclinedCard));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->state(), v1::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(p->decline_code(), "card_declined");
  EXPECT_EQ(p->card_last4(), "0002");
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(Outcome("declined"), 1);
  EXPECT_EQ(Outcome("approved"), 0);
  EXPECT_EQ(Moves("pending", "declined"), 1);
}

TEST_F(PaymentServiceTest, InsufficientFundsCard) {
  auto p = Authorize(Request("k1", kSandboxInsufficientFundsCard));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->state(), v1::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(p->decline_code(), "insufficient_funds");
  EXPECT_EQ(p->card_last4(), "9995");
}

TEST_F(PaymentServiceTest, OtherValidNumbersAreApprovedWithTheirBrand) {
  const std::map<std::string, std::string> cards = {{"5555555555554444", "mastercard"},
                                                    {"378282246310005", "amex"},
                                                    {"6011111111111117", "discover"},
                                                    {"3530111333300000", "unknown"},
                                                    {"4111111111111111", "visa"}};
  int n = 0;
  for (const auto& [number, brand] : cards) {
    auto p = Authorize(Request(absl::StrCat("k", n++), number));
    ASSERT_TRUE(p.ok()) << number << ": " << p.status();
    EXPECT_EQ(p->state(), v1::PAYMENT_STATE_AUTHORIZED) << number;
    EXPECT_EQ(p->card_brand(), brand) << number;
    EXPECT_EQ(p->card_last4(), number.substr(number.size() - 4));
  }
  EXPECT_EQ(Outcome("approved"), 5);
}

void ExpectInvalid(const absl::StatusOr<v1::Payment>& p, const std::string& code) {
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
  EXPECT_EQ(ErrorCodeOf(p.status()), code) << p.status();
}

TEST_F(PaymentServiceTest, InvalidRequestsRecordNothing) {
  ExpectInvalid(Authorize(Request("k", "4242424242424241")), "invalid_card");
  ExpectInvalid(Authorize(Request("k", "")), "invalid_card");
  auto no_card = Request("k", kSandboxApprovedCard);
  no_card.clear_card();
  ExpectInvalid(Authorize(no_card), "invalid_card");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 0)), "invalid_amount");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, -100)), "invalid_amount");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 1'000'001)), "invalid_amount");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 100, "usd")), "invalid_currency");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 100, "US")), "invalid_currency");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 100, "USDX")), "invalid_currency");
  ExpectInvalid(Authorize(Request("k", kSandboxApprovedCard, 100, "")), "invalid_currency");
  ExpectInvalid(Authorize(Request("", kSandboxApprovedCard)), "invalid_idempotency_key");
  ExpectInvalid(Authorize(Request(std::string(256, 'x'), kSandboxApprovedCard)),
                "invalid_idempotency_key");
  ExpectInvalid(Authorize(Request("a\nb", kSandboxApprovedCard)), "invalid_idempotency_key");
  auto long_order = Request("k", kSandboxApprovedCard);
  long_order.set_order_id(std::string(256, 'o'));
  ExpectInvalid(Authorize(long_order), "invalid_argument");
  auto expired = Request("k", kSandboxApprovedCard);
  expired.mutable_card()->set_exp_year(2026);
  expired.mutable_card()->set_exp_month(10);
  ExpectInvalid(Authorize(expired), "card_expired");

  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(Outcome("invalid"), 15);
  EXPECT_EQ(Outcome("approved"), 0);
  // The largest allowed amount and a 255-character key are fine.
  EXPECT_TRUE(Authorize(Request(std::string(255, 'x'), kSandboxApprovedCard, 1'000'000)).ok());
}

TEST_F(PaymentServiceTest, ExpiryFollowsTheInjectedClock) {
  auto r = Request("k1", kSandboxApprovedCard);
  r.mutable_card()->set_exp_month(11);
  r.mutable_card()->set_exp_year(2026);
  now_ = Utc(2026, 12, 1);
  ExpectInvalid(Authorize(r), "card_expired");
  now_ = Utc(2026, 11, 30);
  auto p = Authorize(r);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->state(), v1::PAYMENT_STATE_AUTHORIZED);
}

TEST_F(PaymentServiceTest, SameKeyReturnsTheFirstPaymentAndChargesOnce) {
  auto first = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(first.ok()) << first.status();
  for (int i = 0; i < 3; ++i) {
    auto again = Authorize(Request("k1", kSandboxApprovedCard));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  }
  // Formatting of the number does not make it another card.
  auto spaced = Authorize(Request("k1", "4242 4242 4242 4242"));
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(spaced->id(), first->id());
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(processor_.authorize_calls, 1);
  EXPECT_EQ(Outcome("approved"), 1);
  EXPECT_EQ(Outcome("replayed"), 4);
  EXPECT_EQ(Moves("pending", "authorized"), 1);
}

TEST_F(PaymentServiceTest, SameKeyReturnsTheFirstDecline) {
  auto first = Authorize(Request("k1", kSandboxDeclinedCard));
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Authorize(Request("k1", kSandboxDeclinedCard));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  EXPECT_EQ(again->state(), v1::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(again->decline_code(), "card_declined");
  EXPECT_EQ(processor_.authorize_calls, 1);
}

TEST_F(PaymentServiceTest, ReplayIsNotAffectedByLaterExpiry) {
  auto r = Request("k1", kSandboxApprovedCard);
  r.mutable_card()->set_exp_month(11);
  r.mutable_card()->set_exp_year(2026);
  auto first = Authorize(r);
  ASSERT_TRUE(first.ok()) << first.status();
  now_ = Utc(2027, 2, 1);
  auto again = Authorize(r);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  // A new key with the same, now expired, card is refused.
  r.set_idempotency_key("k2");
  ExpectInvalid(Authorize(r), "card_expired");
}

void ExpectReused(const absl::StatusOr<v1::Payment>& p) {
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition) << p.status();
  EXPECT_EQ(ErrorCodeOf(p.status()), "idempotency_key_reused") << p.status();
}

TEST_F(PaymentServiceTest, SameKeyWithAnotherAmountCurrencyOrCardIsRefused) {
  ASSERT_TRUE(Authorize(Request("k1", kSandboxApprovedCard, 1999, "USD")).ok());
  ExpectReused(Authorize(Request("k1", kSandboxApprovedCard, 2000, "USD")));
  ExpectReused(Authorize(Request("k1", kSandboxApprovedCard, 1999, "EUR")));
  ExpectReused(Authorize(Request("k1", "5555555555554444", 1999, "USD")));
  ExpectReused(Authorize(Request("k1", kSandboxDeclinedCard, 1999, "USD")));
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(processor_.authorize_calls, 1);
  EXPECT_EQ(Outcome("key_reused"), 4);
  // Expiry, CVC and order id are not part of the fingerprint.
  auto other_details = Request("k1", kSandboxApprovedCard, 1999, "USD");
  other_details.mutable_card()->set_exp_year(2031);
  other_details.mutable_card()->set_cvc("999");
  other_details.set_order_id("order-2");
  auto p = Authorize(other_details);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->order_id(), "order-1");
}

TEST_F(PaymentServiceTest, ConcurrentCallsWithOneKeyChargeOnce) {
  std::vector<std::thread> threads;
  std::vector<std::string> ids(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto p = Authorize(Request("same", kSandboxApprovedCard));
      ids[i] = p.ok() ? p->id() : "error";
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.created, 1);
  // A call that meets the payment still pending asks the processor again with the same key:
  // one authorization there, however many calls.
  EXPECT_EQ(processor_.references.size(), 1u);
}

TEST_F(PaymentServiceTest, ProcessorFailureLeavesThePaymentPendingForARetry) {
  processor_.fail_with = absl::UnavailableError("processor unreachable");
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable);
  // The processor may have authorized before failing to answer: the row says so.
  ASSERT_EQ(store_.size(), 1u);
  const PaymentRecord pending = store_.All()[0];
  EXPECT_EQ(pending.payment.state(), v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ(Outcome("error"), 1);
  processor_.fail_with = absl::OkStatus();
  auto retry = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->id(), pending.payment.id());
  EXPECT_EQ(retry->state(), v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(store_.created, 1);
}

TEST_F(PaymentServiceTest, APendingPaymentIsVoidedByKeyAndALateAnswerIsVoidedToo) {
  processor_.fail_with = absl::UnavailableError("processor unreachable");
  ASSERT_FALSE(Authorize(Request("k1", kSandboxApprovedCard)).ok());
  processor_.fail_with = absl::OkStatus();
  const std::string id = store_.All()[0].payment.id();
  auto voided = Move("void", id);
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state(), v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(processor_.voided_keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(Moves("pending", "voided"), 1);
  // The call that was still running (or its retry) gets the voided payment, not a charge.
  auto retry = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->state(), v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(processor_.authorize_calls, 1);
}

TEST_F(PaymentServiceTest, VoidStaleVoidsPendingAndUncapturedPaymentsOnly) {
  auto authorized = Authorize(Request("stale-a", kSandboxApprovedCard));
  auto captured = Authorize(Request("stale-c", kSandboxApprovedCard));
  auto declined = Authorize(Request("stale-d", kSandboxDeclinedCard));
  ASSERT_TRUE(authorized.ok() && captured.ok() && declined.ok());
  ASSERT_TRUE(Move("capture", captured->id()).ok());
  processor_.fail_with = absl::UnavailableError("processor unreachable");
  ASSERT_FALSE(Authorize(Request("stale-p", kSandboxApprovedCard)).ok());
  processor_.fail_with = absl::OkStatus();

  EXPECT_EQ(*service_.VoidStale(absl::Seconds(1), 100), 0);  // none old enough (fake: age > 0)
  EXPECT_EQ(*service_.VoidStale(absl::ZeroDuration(), 100), 2);
  std::map<std::string, PaymentState> states;
  for (const auto& r : store_.All()) states[r.payment.idempotency_key()] = r.payment.state();
  EXPECT_EQ(states["stale-a"], v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(states["stale-p"], v1::PAYMENT_STATE_VOIDED);
  EXPECT_EQ(states["stale-c"], v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ(states["stale-d"], v1::PAYMENT_STATE_DECLINED);
  EXPECT_EQ(processor_.voided_keys, std::vector<std::string>{"stale-p"});
  EXPECT_EQ(*service_.VoidStale(absl::ZeroDuration(), 100), 0);
}

TEST_F(PaymentServiceTest, CaptureThenRefundWithIdempotentRepeats) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok());
  auto captured = Move("capture", p->id());
  ASSERT_TRUE(captured.ok()) << captured.status();
  EXPECT_EQ(captured->state(), v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ(captured->id(), p->id());
  auto again = Move("capture", p->id());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), v1::PAYMENT_STATE_CAPTURED);
  auto refunded = Move("refund", p->id());
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->state(), v1::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(refunded->refunded_amount().amount(), 1999);
  EXPECT_EQ(refunded->refunded_amount().currency(), "USD");
  ASSERT_TRUE(Move("refund", p->id()).ok());
  EXPECT_EQ(store_.acts, 1);  // the capture; refunds are not Transition moves
  using Asked = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(processor_.refunds, (Asked{{"full", 1999}}));
  EXPECT_EQ(Moves("authorized", "captured"), 1);
  EXPECT_EQ(Moves("captured", "refunded"), 1);

  auto events = store_.ListEvents(p->id());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].from, std::nullopt);
  EXPECT_EQ((*events)[0].to, v1::PAYMENT_STATE_PENDING);
  EXPECT_EQ((*events)[1].to, v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ((*events)[2].from, v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ((*events)[2].to, v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ((*events)[3].from, v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ((*events)[3].to, v1::PAYMENT_STATE_REFUNDED);
}

absl::StatusOr<v1::Payment> PartialRefund(PaymentService& service, const std::string& id,
                                          const std::string& key, std::optional<int64_t> amount,
                                          const std::string& currency = "USD") {
  v1::RefundRequest r;
  r.set_payment_id(id);
  r.set_idempotency_key(key);
  if (amount) {
    r.mutable_amount()->set_amount(*amount);
    r.mutable_amount()->set_currency(currency);
  }
  v1::Payment p;
  absl::Status s = service.DoRefund(r, &p);
  if (!s.ok()) return s;
  return p;
}

void ExpectRefused(const absl::StatusOr<v1::Payment>& p, absl::StatusCode code,
                   const std::string& error_code) {
  ASSERT_FALSE(p.ok()) << "expected " << error_code;
  EXPECT_EQ(p.status().code(), code) << p.status();
  EXPECT_EQ(ErrorCodeOf(p.status()), error_code) << p.status();
}

TEST_F(PaymentServiceTest, PartialRefundsUpToTheCapturedAmount) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard, 1000));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(Move("capture", p->id()).ok());
  auto first = PartialRefund(service_, p->id(), "r1", 300);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::PAYMENT_STATE_PARTIALLY_REFUNDED);
  EXPECT_EQ(first->refunded_amount().amount(), 300);
  // A repeat of a key moves nothing: with the same amount, or with none.
  auto repeat = PartialRefund(service_, p->id(), "r1", 300);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refunded_amount().amount(), 300);
  ASSERT_TRUE(PartialRefund(service_, p->id(), "r1", std::nullopt).ok());
  ExpectRefused(PartialRefund(service_, p->id(), "r1", 301), absl::StatusCode::kFailedPrecondition,
                "idempotency_key_reused");
  ExpectRefused(PartialRefund(service_, p->id(), "r2", 701), absl::StatusCode::kFailedPrecondition,
                "refund_exceeds_capture");
  auto second = PartialRefund(service_, p->id(), "r2", 200);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->state(), v1::PAYMENT_STATE_PARTIALLY_REFUNDED);
  EXPECT_EQ(second->refunded_amount().amount(), 500);
  // No amount: what is left.
  auto rest = PartialRefund(service_, p->id(), "", std::nullopt);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->state(), v1::PAYMENT_STATE_REFUNDED);
  EXPECT_EQ(rest->refunded_amount().amount(), 1000);
  ExpectRefused(PartialRefund(service_, p->id(), "r3", 1), absl::StatusCode::kFailedPrecondition,
                "refund_exceeds_capture");
  ExpectRefused(PartialRefund(service_, p->id(), "r3", std::nullopt),
                absl::StatusCode::kFailedPrecondition, "refund_exceeds_capture");
  using Asked = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(processor_.refunds, (Asked{{"r1", 300}, {"r2", 200}, {"full", 500}}));
  EXPECT_EQ(Moves("captured", "partially_refunded"), 1);
  EXPECT_EQ(Moves("partially_refunded", "refunded"), 1);
  EXPECT_EQ(Moves("captured", "refunded"), 0);
}

TEST_F(PaymentServiceTest, InvalidRefundsAreRefusedBeforeAnythingMoves) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard, 1000));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(Move("capture", p->id()).ok());
  ExpectRefused(PartialRefund(service_, p->id(), "r", 0), absl::StatusCode::kInvalidArgument,
                "invalid_amount");
  ExpectRefused(PartialRefund(service_, p->id(), "r", -5), absl::StatusCode::kInvalidArgument,
                "invalid_amount");
  ExpectRefused(PartialRefund(service_, p->id(), "r", 100, "EUR"),
                absl::StatusCode::kInvalidArgument, "invalid_amount");
  ExpectRefused(PartialRefund(service_, p->id(), std::string(256, 'x'), 100),
                absl::StatusCode::kInvalidArgument, "invalid_idempotency_key");
  ExpectRefused(PartialRefund(service_, p->id(), "bad\nkey", 100),
                absl::StatusCode::kInvalidArgument, "invalid_idempotency_key");
  ExpectRefused(PartialRefund(service_, "", "r", 100), absl::StatusCode::kInvalidArgument,
                "invalid_argument");
  ExpectRefused(PartialRefund(service_, NewUuid(), "r", 100), absl::StatusCode::kNotFound,
                "payment_not_found");
  EXPECT_TRUE(processor_.refunds.empty());
  EXPECT_EQ(store_.Get(p->id())->payment.state(), v1::PAYMENT_STATE_CAPTURED);
}

TEST_F(PaymentServiceTest, OnlyCapturedPaymentsAreRefunded) {
  int n = 0;
  for (PaymentState from : {v1::PAYMENT_STATE_PENDING, v1::PAYMENT_STATE_AUTHORIZED,
                            v1::PAYMENT_STATE_VOIDED, v1::PAYMENT_STATE_DECLINED}) {
    auto p = Authorize(Request(absl::StrCat("not-captured", n++), kSandboxApprovedCard));
    ASSERT_TRUE(p.ok());
    store_.ForceState(p->id(), from);
    auto refund = Move("refund", p->id());
    ExpectRefused(refund, absl::StatusCode::kFailedPrecondition, "payment_not_captured");
    EXPECT_EQ(refund.status().message(),
              absl::StrCat("a payment in state ", StateName(from), " cannot be refunded"));
    EXPECT_EQ(store_.Get(p->id())->payment.state(), from);
  }
  EXPECT_TRUE(processor_.refunds.empty());
}

TEST_F(PaymentServiceTest, AProcessorFailureRefundsNothing) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard, 1000));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(Move("capture", p->id()).ok());
  processor_.fail_with = absl::UnavailableError("processor unreachable");
  auto refund = PartialRefund(service_, p->id(), "r1", 400);
  EXPECT_EQ(refund.status().code(), absl::StatusCode::kUnavailable);
  processor_.fail_with = absl::OkStatus();
  EXPECT_EQ(store_.Get(p->id())->payment.refunded_amount().amount(), 0);
  // The retry with the key refunds once.
  auto retried = PartialRefund(service_, p->id(), "r1", 400);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->refunded_amount().amount(), 400);
}

// Every RPC that moves a payment, from every state a payment can be in.
TEST_F(PaymentServiceTest, EveryOperationFromEveryState) {
  struct Case {
    PaymentState from;
    std::string op;
    PaymentState expected;  // UNSPECIFIED: invalid_transition
  };
  constexpr auto A = v1::PAYMENT_STATE_AUTHORIZED, C = v1::PAYMENT_STATE_CAPTURED,
                 R = v1::PAYMENT_STATE_REFUNDED, V = v1::PAYMENT_STATE_VOIDED,
                 D = v1::PAYMENT_STATE_DECLINED, P = v1::PAYMENT_STATE_PENDING,
                 X = v1::PAYMENT_STATE_UNSPECIFIED;
  const std::vector<Case> cases = {
      {P, "capture", X}, {P, "void", V},  //
      {A, "capture", C}, {A, "void", V},  //
      {C, "capture", C}, {C, "void", X},  //
      {R, "capture", X}, {R, "void", X},  //
      {V, "capture", X}, {V, "void", V},  //
      {D, "capture", X}, {D, "void", X},
  };
  int n = 0;
  for (const Case& c : cases) {
    auto p = Authorize(Request(absl::StrCat("case", n++), kSandboxApprovedCard));
    ASSERT_TRUE(p.ok());
    store_.ForceState(p->id(), c.from);
    auto moved = Move(c.op, p->id());
    const std::string what = StateName(c.from) + " " + c.op;
    if (c.expected == X) {
      ASSERT_FALSE(moved.ok()) << what;
      EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition) << what;
      EXPECT_EQ(ErrorCodeOf(moved.status()), "invalid_transition") << what;
      EXPECT_EQ(store_.Get(p->id())->payment.state(), c.from) << what;
    } else {
      ASSERT_TRUE(moved.ok()) << what << ": " << moved.status();
      EXPECT_EQ(moved->state(), c.expected) << what;
      EXPECT_EQ(store_.Get(p->id())->payment.state(), c.expected) << what;
    }
  }
}

TEST_F(PaymentServiceTest, AVoidThatFindsTheCaptureAtTheProcessorRecordsTheCapture) {
  // Killed between the processor's capture and our commit: the row says authorized, the
  // processor says captured. The void (checkout's recovery, the sweeper) records the capture
  // and answers as a void of a captured payment does; nothing is stuck.
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok());
  processor_.void_finds = "captured";
  auto voided = Move("void", p->id());
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(ErrorCodeOf(voided.status()), "invalid_transition");
  EXPECT_EQ(voided.status().message(), "a payment in state captured cannot become voided");
  EXPECT_EQ(store_.Get(p->id())->payment.state(), v1::PAYMENT_STATE_CAPTURED);
  EXPECT_EQ(Moves("authorized", "captured"), 1);
  EXPECT_EQ(Moves("authorized", "voided"), 0);
  // A later refund (money moved, the order could not be completed) works as usual.
  processor_.void_finds.clear();
  auto refunded = Move("refund", p->id());
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->state(), v1::PAYMENT_STATE_REFUNDED);
}

TEST_F(PaymentServiceTest, DeclinedPaymentsCannotBeCaptured) {
  auto p = Authorize(Request("k1", kSandboxDeclinedCard));
  ASSERT_TRUE(p.ok());
  auto captured = Move("capture", p->id());
  ASSERT_FALSE(captured.ok());
  EXPECT_EQ(ErrorCodeOf(captured.status()), "invalid_transition");
  EXPECT_EQ(captured.status().message(), "a payment in state declined cannot become captured");
}

TEST_F(PaymentServiceTest, MovesOfUnknownOrMissingIds) {
  for (const std::string op : {"capture", "void", "refund"}) {
    auto missing = Move(op, NewUuid());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(ErrorCodeOf(missing.status()), "payment_not_found");
    auto empty = Move(op, "");
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(PaymentServiceTest, ProcessorFailureLeavesTheStateAlone) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok());
  processor_.fail_with = absl::UnavailableError("processor unreachable");
  auto captured = Move("capture", p->id());
  ASSERT_FALSE(captured.ok());
  EXPECT_EQ(captured.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.Get(p->id())->payment.state(), v1::PAYMENT_STATE_AUTHORIZED);
  EXPECT_EQ(store_.ListEvents(p->id())->size(), 2u);  // pending, authorized
  EXPECT_EQ(Moves("authorized", "captured"), 0);
  processor_.fail_with = absl::OkStatus();
  EXPECT_TRUE(Move("capture", p->id()).ok());
}

TEST_F(PaymentServiceTest, GetPaymentByIdOrKey) {
  auto p = Authorize(Request("k1", kSandboxApprovedCard));
  ASSERT_TRUE(p.ok());
  v1::GetPaymentRequest by_id;
  by_id.set_id(p->id());
  v1::Payment got;
  ASSERT_TRUE(service_.DoGetPayment(by_id, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), p->SerializeAsString());
  v1::GetPaymentRequest by_key;
  by_key.set_idempotency_key("k1");
  v1::Payment got2;
  ASSERT_TRUE(service_.DoGetPayment(by_key, &got2).ok());
  EXPECT_EQ(got2.id(), p->id());

  v1::GetPaymentRequest unknown;
  unknown.set_idempotency_key("nope");
  absl::Status s = service_.DoGetPayment(unknown, &got);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorCodeOf(s), "payment_not_found");
  s = service_.DoGetPayment(v1::GetPaymentRequest(), &got);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PaymentServiceTest, StoredRecordsHoldNoCardNumberOrCvc) {
  auto r = Request("k1", kSandboxApprovedCard);
  r.mutable_card()->set_cvc("987");
  ASSERT_TRUE(Authorize(r).ok());
  for (const auto& rec : store_.All()) {
    const std::string everything =
        rec.payment.DebugString() + rec.fingerprint + rec.processor_reference;
    EXPECT_EQ(everything.find(kSandboxApprovedCard), std::string::npos) << everything;
    EXPECT_EQ(rec.payment.card_last4(), "4242");
  }
}

TEST_F(PaymentServiceTest, ErrorMessagesNeverContainTheCardNumber) {
  const std::string number = "4000056655665556";
  std::vector<absl::StatusOr<v1::Payment>> results = {
      Authorize(Request("k1", "4000056655665557")),  // Luhn failure
      Authorize(Request("k1", number, 0)),
      Authorize(Request("k1", number, 100, "usd")),
  };
  auto expired = Request("k1", number);
  expired.mutable_card()->set_exp_year(2020);
  results.push_back(Authorize(expired));
  auto bad_cvc = Request("k1", number);
  bad_cvc.mutable_card()->set_cvc("12");
  results.push_back(Authorize(bad_cvc));
  ASSERT_TRUE(Authorize(Request("k1", number)).ok());
  results.push_back(Authorize(Request("k1", number, 5)));  // key reused
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    const std::string text = r.status().ToString();
    EXPECT_EQ(text.find("400005665566555"), std::string::npos) << text;
    EXPECT_EQ(text.find("5556"), std::string::npos) << text;
  }
}

TEST_F(PaymentServiceTest, MetricSeriesAreBoundedAndPresetToZero) {
  int authorization_series = 0, transition_series = 0;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "mercato_payment_authorizations_total") {
      authorization_series = static_cast<int>(family.metric.size());
    }
    if (family.name == "mercato_payment_transitions_total") {
      transition_series = static_cast<int>(family.metric.size());
    }
  }
  EXPECT_EQ(authorization_series, 6);
  EXPECT_EQ(transition_series, 9);
  // Lots of different requests add no series.
  for (int i = 0; i < 20; ++i) {
    (void)Authorize(Request(absl::StrCat("m", i), kSandboxApprovedCard, 100 + i));
  }
  for (const auto& family : registry_.Collect()) {
    if (family.name == "mercato_payment_authorizations_total") {
      EXPECT_EQ(family.metric.size(), 6u);
    }
  }
}

}  // namespace
}  // namespace mercato::payment
