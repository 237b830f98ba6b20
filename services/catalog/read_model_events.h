// The catalog's consumer of its own mercato.catalog.v1 events: keeps this replica's
// in-memory read model (ProductCache) current from ProductChanged / StockChanged, whichever
// replica made the change. Every replica must see every event, so each process joins a group
// of its own ("catalog.read-model.<random id>") starting at the latest offset: what happened
// before it started is already in the cache it loaded (CacheRefresher::LoadAll).
//
// The effect is a reload of the product's row (CacheRefresher::Refresh): the cache ends up
// with the database's latest state whatever order or how often events arrive, so it is
// idempotent by construction; the inbox row EventConsumer writes is what it costs to use the
// shared consumer. LISTEN/NOTIFY stays as the same-database fast path (docs/events.md).
#pragma once

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "catalog/cache_refresher.h"
#include "events/consumer.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::catalog {

// `base` (from events::ReadEventsConfig) with a group of this process's own, the catalog
// topic and offsets from the latest.
events::ConsumerOptions ReadModelConsumerOptions(events::ConsumerOptions base);

// The handler: refreshes the event's product in the cache; other events are ignored.
events::EventHandler ReadModelHandler(CacheRefresher& refresher);

}  // namespace mercato::catalog
