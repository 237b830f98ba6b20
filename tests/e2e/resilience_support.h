// Shared by the resilience end-to-end tests: a payment service stub in the test process (a
// real gRPC server the checkout service is pointed at) that either fails every call with a
// bare UNAVAILABLE or behaves like a payment service that approves every card, and records
// when each call arrived; plus latency percentiles.
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "mercato/payment/v1/payment.grpc.pb.h"

namespace mercato::testing::resilience {

using SteadyClock = std::chrono::steady_clock;

// A failed-fast answer took less than this: it waited for no deadline (the shortest any of
// these tests gives a call is 1 s). The latency goals themselves (p99 < 50 ms) are figures in
// docs/resilience.md, measured alone; a test on a shared machine asserts the outcome.
inline constexpr double kFailFastBoundMs = 500.0;

class StubPayment final : public payment::v1::PaymentService::Service {
 public:
  StubPayment() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~StubPayment() override { server_->Shutdown(); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  void SetFailing(bool failing) { failing_ = failing; }

  // When each call arrived, in order.
  std::vector<SteadyClock::time_point> Calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  size_t CallCount() const { return Calls().size(); }

  grpc::Status Authorize(grpc::ServerContext*, const payment::v1::AuthorizeRequest* request,
                         payment::v1::Payment* response) override {
    if (auto s = Arrive(); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_key_.find(request->idempotency_key());
    if (it == by_key_.end()) {
      payment::v1::Payment p;
      p.set_id(NewUuid());
      p.set_idempotency_key(request->idempotency_key());
      p.set_state(payment::v1::PAYMENT_STATE_AUTHORIZED);
      *p.mutable_amount() = request->amount();
      p.set_card_brand("visa");
      p.set_card_last4(request->card().number().substr(request->card().number().size() - 4));
      p.set_order_id(request->order_id());
      it = by_key_.emplace(request->idempotency_key(), p).first;
      key_of_id_[p.id()] = request->idempotency_key();
    }
    *response = it->second;
    return grpc::Status::OK;
  }
  grpc::Status Capture(grpc::ServerContext*, const payment::v1::CaptureRequest* request,
                       payment::v1::Payment* response) override {
    return Move(request->payment_id(), payment::v1::PAYMENT_STATE_CAPTURED, response);
  }
  grpc::Status Void(grpc::ServerContext*, const payment::v1::VoidRequest* request,
                    payment::v1::Payment* response) override {
    return Move(request->payment_id(), payment::v1::PAYMENT_STATE_VOIDED, response);
  }
  grpc::Status Refund(grpc::ServerContext*, const payment::v1::RefundRequest* request,
                      payment::v1::Payment* response) override {
    return Move(request->payment_id(), payment::v1::PAYMENT_STATE_REFUNDED, response);
  }
  grpc::Status GetPayment(grpc::ServerContext*, const payment::v1::GetPaymentRequest* request,
                          payment::v1::Payment* response) override {
    if (auto s = Arrive(); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = request->idempotency_key();
    if (!request->id().empty()) key = key_of_id_[request->id()];
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such payment");
    *response = it->second;
    return grpc::Status::OK;
  }

 private:
  grpc::Status Arrive() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(SteadyClock::now());
    }
    // A bare UNAVAILABLE, as from a payment service that cannot reach its database.
    if (failing_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "payment stub is failing");
    return grpc::Status::OK;
  }
  grpc::Status Move(const std::string& id, payment::v1::PaymentState to,
                    payment::v1::Payment* response) {
    if (auto s = Arrive(); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    auto key = key_of_id_.find(id);
    if (key == key_of_id_.end())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such payment");
    payment::v1::Payment& p = by_key_[key->second];
    p.set_state(to);
    *response = p;
    return grpc::Status::OK;
  }

  std::atomic<bool> failing_{false};
  mutable std::mutex mu_;
  std::vector<SteadyClock::time_point> calls_;
  std::map<std::string, payment::v1::Payment> by_key_;
  std::map<std::string, std::string> key_of_id_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The q-quantile (0..1) of `ms`, nearest rank.
inline double Percentile(std::vector<double> ms, double q) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(ms.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, ms.size());
  return ms[rank - 1];
}

inline double MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

}  // namespace mercato::testing::resilience
