// The catalog as cart and checkout see it: products looked up by id in batches the catalog
// accepts, and a line priced from a product with the one overflow rule (commerce/money.h).
//
//   CatalogClient catalog(*stub, config.catalog_timeout);
//   ProductLookup products;
//   if (absl::Status s = catalog.Lookup(ids, products); !s.ok()) return s;   // as received
//   auto total = LineTotalOf(products.found.at(id), quantity, /*line_index=*/0);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/limits.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"

namespace mercato {

// Catalog answers gathered while handling one call: found products by id, and ids the
// catalog does not have.
struct ProductLookup {
  std::unordered_map<std::string, catalog::v1::Product> found;
  std::unordered_set<std::string> missing;
};

class CatalogClient {
 public:
  // `timeout`: the deadline of each call (never past the incoming call's).
  CatalogClient(catalog::v1::CatalogService::StubInterface& stub, std::chrono::milliseconds timeout)
      : stub_(stub), timeout_(timeout) {}

  // Asks about the ids not yet in `lookup` (each once), kMaxBatchGetProductsIds per call. An
  // id the catalog neither returned nor listed as missing counts as missing. The first failed
  // call's status is returned as received; what earlier calls found stays in `lookup`.
  absl::Status Lookup(const std::vector<std::string>& ids, ProductLookup& lookup) const;

 private:
  catalog::v1::CatalogService::StubInterface& stub_;
  const std::chrono::milliseconds timeout_;
};

// The line total of `quantity` units of `product`, the line at `line_index` of a cart or an
// order: FAILED_PRECONDITION "price_out_of_range" naming "items[<line_index>].unit_price of
// product <id>" when the price is outside the bounds (mercato::LineTotal).
absl::StatusOr<int64_t> LineTotalOf(const catalog::v1::Product& product, int64_t quantity,
                                    int line_index);

}  // namespace mercato
