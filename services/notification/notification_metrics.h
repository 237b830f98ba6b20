// Prometheus counters of the notification service, on the process's Metrics registry:
//
//   mercato_notification_emails_total{kind,outcome}
//     kind:    order_paid | order_shipped | order_delivered | order_cancelled | order_refunded
//     outcome: queued (rendered and stored by the consumer) | no_contact (the user service
//              knows no such user: nothing to send) | sent | retried (a transient failure,
//              queued again) | failed (refused permanently) | unknown (left mid-send by a
//              process that died, or the server's answer was lost: never resent)
//
// Label values come from fixed sets, never from event data: at most 5 x 6 series.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <string>

namespace mercato::notification {

class NotificationMetrics {
 public:
  explicit NotificationMetrics(prometheus::Registry& registry);

  // `kind` is one of the kinds above (anything else counts as "other").
  void CountEmail(const std::string& kind, const char* outcome);

 private:
  prometheus::Family<prometheus::Counter>& emails_;
};

}  // namespace mercato::notification
