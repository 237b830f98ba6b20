#include "notification/notification_metrics.h"

#include <set>

namespace mercato::notification {

NotificationMetrics::NotificationMetrics(prometheus::Registry& registry)
    : emails_(prometheus::BuildCounter()
                  .Name("mercato_notification_emails_total")
                  .Help("Order emails by kind and outcome")
                  .Register(registry)) {}

void NotificationMetrics::CountEmail(const std::string& kind, const char* outcome) {
  static const auto* kinds = new std::set<std::string>{
      "order_paid", "order_shipped", "order_delivered", "order_cancelled", "order_refunded"};
  emails_.Add({{"kind", kinds->count(kind) ? kind : "other"}, {"outcome", outcome}}).Increment();
}

}  // namespace mercato::notification
