// Shared by the fulfillment worker's integration tests: a fake checkout (RecordFulfillment
// only) served in-process, OrderPaid / OrderCancelled events as checkout publishes them, and
// what reached mercato.orders.v1 for a set of orders.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/status.h"
#include "events_test_support.h"
#include "mercato/checkout/v1/checkout.grpc.pb.h"
#include "rpc/status_conversion.h"

namespace mercato::fulfillment {

namespace ck = checkout::v1;

// Answers RecordFulfillment: OK (recording every call), UNAVAILABLE for the first
// `unavailable` calls, or FAILED_PRECONDITION `code` for an order's refused stage.
class FakeCheckout : public ck::CheckoutService::Service {
 public:
  grpc::Status RecordFulfillment(grpc::ServerContext*, const ck::RecordFulfillmentRequest* request,
                                 ck::Order* order) override {
    absl::MutexLock lock(&mu_);
    calls_[request->order_id()].push_back(*request);
    if (unavailable_ > 0) {
      --unavailable_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "checkout is restarting");
    }
    auto refused = refused_.find({request->order_id(), request->stage()});
    if (refused != refused_.end()) {
      return ToGrpcStatus(
          ErrorWithCode(absl::StatusCode::kFailedPrecondition, refused->second, "refused"));
    }
    order->set_id(request->order_id());
    return grpc::Status::OK;
  }

  void Refuse(const std::string& order_id, ck::FulfillmentStage stage, const std::string& code) {
    absl::MutexLock lock(&mu_);
    refused_[{order_id, stage}] = code;
  }
  void FailNext(int calls) {
    absl::MutexLock lock(&mu_);
    unavailable_ = calls;
  }
  std::vector<ck::RecordFulfillmentRequest> Calls(const std::string& order_id) {
    absl::MutexLock lock(&mu_);
    return calls_[order_id];
  }
  // The stages recorded for an order, in call order.
  std::vector<int> Stages(const std::string& order_id) {
    std::vector<int> out;
    for (const auto& call : Calls(order_id)) out.push_back(call.stage());
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<ck::RecordFulfillmentRequest>> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int>, std::string> refused_ ABSL_GUARDED_BY(mu_);
  int unavailable_ ABSL_GUARDED_BY(mu_) = 0;
};

inline events::v1::Envelope OrderPaidEvent(const std::string& order_id,
                                           const std::string& user_id) {
  events::v1::Envelope event = events::NewEvent("checkout");
  auto* paid = event.mutable_order_paid();
  paid->set_order_id(order_id);
  paid->set_user_id(user_id);
  paid->set_payment_id(NewUuid());
  paid->mutable_total()->set_amount(4200);
  paid->mutable_total()->set_currency("EUR");
  return event;
}

inline events::v1::Envelope OrderCancelledEvent(const std::string& order_id,
                                                const std::string& user_id) {
  events::v1::Envelope event = events::NewEvent("checkout");
  event.mutable_order_cancelled()->set_order_id(order_id);
  event.mutable_order_cancelled()->set_user_id(user_id);
  return event;
}

// The fulfillment events on mercato.orders.v1 of `orders`: per order, the distinct event ids
// of its OrderShipped and of its OrderDelivered events, and every OrderShipped as published.
struct PublishedShipments {
  std::map<std::string, std::set<std::string>> shipped_ids;
  std::map<std::string, std::set<std::string>> delivered_ids;
  std::map<std::string, std::vector<events::v1::OrderShipped>> shipped;
};

inline PublishedShipments PublishedFor(const std::vector<std::string>& orders) {
  PublishedShipments out;
  for (const events::Received& r : events::EventsOf(events::kOrdersTopic, orders)) {
    const std::string& order = r.event.aggregate_id();
    if (r.event.has_order_shipped()) {
      out.shipped_ids[order].insert(r.event.event_id());
      out.shipped[order].push_back(r.event.order_shipped());
    }
    if (r.event.has_order_delivered()) out.delivered_ids[order].insert(r.event.event_id());
  }
  return out;
}

}  // namespace mercato::fulfillment
