// What the catalog's two PostgreSQL stores (products: postgres_catalog_store, reservations:
// postgres_inventory_store) both write or answer inside a transaction.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "catalog/product_events.h"
#include "common/status.h"
#include "events/outbox.h"

namespace mercato::catalog {

// StockChanged (product_events.h) appended after the statement that changed (and so locked)
// the product's row, so that one product's events keep the order of its changes.
inline absl::Status AppendStockChanged(pqxx::work& tx, const std::string& product_id,
                                       int64_t sellable, int64_t low_stock_threshold) {
  return events::AppendToOutbox(tx, StockChangedEvent(product_id, sellable, low_stock_threshold));
}

inline absl::Status ProductNotFound(const std::string& id) {
  return ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found",
                       absl::StrCat("no product with id '", id, "'"));
}

}  // namespace mercato::catalog
