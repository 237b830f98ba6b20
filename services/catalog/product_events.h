// The catalog events the catalog publishes (mercato.catalog.v1, docs/events.md).
// PostgresCatalogStore appends them to its outbox in the transaction that makes the change,
// after the statement that changes (and so locks) the product's row:
//
//   ProductChanged   a product was created, or an update changed its name or price (the
//                    whole current state; `active` is always true: products are not withdrawn
//                    in this version)
//   StockChanged     what can be bought (on hand - reserved) changed: a reservation, its
//                    release or expiry, stock set by an admin or a new product. Committing a
//                    reservation sells held units, which changes on hand and reserved alike,
//                    so it publishes nothing. low_stock: sellable <= the threshold
//                    (MERCATO_LOW_STOCK_THRESHOLD).
#pragma once

#include <cstdint>
#include <string>

#include "mercato/catalog/v1/catalog.pb.h"
#include "mercato/events/v1/events.pb.h"

namespace mercato::catalog {

// The `source` of every event the catalog publishes.
inline constexpr char kEventSource[] = "catalog";

events::v1::Envelope ProductChangedEvent(const v1::Product& product);

events::v1::Envelope StockChangedEvent(const std::string& product_id, int64_t sellable,
                                       int64_t low_stock_threshold);

// Whether an update from `before` to `after` changed what ProductChanged carries.
bool ProductFactsChanged(const v1::Product& before, const v1::Product& after);

}  // namespace mercato::catalog
