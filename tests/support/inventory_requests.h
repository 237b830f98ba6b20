// Requests of the catalog's inventory RPCs, shared by the unit tests of CatalogService and the
// integration tests of its PostgreSQL store:
//
//   service.ReserveStock(Reserve(reservation_id, {Item(product_id, 2)}, /*ttl=*/60));
#pragma once

#include <string>
#include <vector>

#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog::inventory_requests {

inline v1::ReservationItem Item(const std::string& product_id, int quantity) {
  v1::ReservationItem item;
  item.set_product_id(product_id);
  item.set_quantity(quantity);
  return item;
}

// A reservation of `items`; ttl 0: the catalog's default lifetime.
inline v1::ReserveStockRequest Reserve(const std::string& reservation_id,
                                       std::vector<v1::ReservationItem> items, int ttl = 0) {
  v1::ReserveStockRequest request;
  request.set_reservation_id(reservation_id);
  for (auto& item : items) *request.add_items() = item;
  request.set_ttl_seconds(ttl);
  return request;
}

}  // namespace mercato::catalog::inventory_requests
