#include "catalog/product_events.h"

#include "events/contracts.h"

namespace mercato::catalog {

events::v1::Envelope ProductChangedEvent(const v1::Product& product) {
  events::v1::Envelope event = events::NewEvent(kEventSource);
  events::v1::ProductChanged* changed = event.mutable_product_changed();
  changed->set_product_id(product.id());
  changed->set_name(product.name());
  *changed->mutable_price() = product.price();
  changed->set_active(true);
  return event;
}

events::v1::Envelope StockChangedEvent(const std::string& product_id, int64_t sellable,
                                       int64_t low_stock_threshold) {
  events::v1::Envelope event = events::NewEvent(kEventSource);
  events::v1::StockChanged* changed = event.mutable_stock_changed();
  changed->set_product_id(product_id);
  changed->set_sellable_quantity(sellable);
  changed->set_low_stock(sellable <= low_stock_threshold);
  return event;
}

bool ProductFactsChanged(const v1::Product& before, const v1::Product& after) {
  return before.name() != after.name() || before.price().amount() != after.price().amount() ||
         before.price().currency() != after.price().currency();
}

}  // namespace mercato::catalog
