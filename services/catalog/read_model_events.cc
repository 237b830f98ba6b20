#include "catalog/read_model_events.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "events/contracts.h"

namespace mercato::catalog {

events::ConsumerOptions ReadModelConsumerOptions(events::ConsumerOptions base) {
  base.group = absl::StrCat("catalog.read-model.", RandomHex(8));
  base.topics = {events::kCatalogTopic};
  base.auto_offset_reset = "latest";
  return base;
}

events::EventHandler ReadModelHandler(CacheRefresher& refresher) {
  return [&refresher](const events::v1::Envelope& event, pqxx::work&) -> absl::Status {
    switch (event.payload_case()) {
      case events::v1::Envelope::kProductChanged:
        return refresher.Refresh({event.product_changed().product_id()});
      case events::v1::Envelope::kStockChanged:
        return refresher.Refresh({event.stock_changed().product_id()});
      default:
        return absl::OkStatus();
    }
  };
}

}  // namespace mercato::catalog
