#include "catalog/inventory_metrics.h"

namespace mercato::catalog {

InventoryMetrics::InventoryMetrics(prometheus::Registry& registry)
    : family(prometheus::BuildCounter()
                 .Name("mercato_stock_reservations_total")
                 .Help("Stock reservations by outcome: reserved, out_of_stock, committed, "
                       "released, expired, returned")
                 .Register(registry)),
      reserved(family.Add({{"outcome", "reserved"}})),
      out_of_stock(family.Add({{"outcome", "out_of_stock"}})),
      committed(family.Add({{"outcome", "committed"}})),
      released(family.Add({{"outcome", "released"}})),
      expired(family.Add({{"outcome", "expired"}})),
      returned(family.Add({{"outcome", "returned"}})) {}

}  // namespace mercato::catalog
