// The built-in seed catalog (seed/catalog.json, compiled into the binary), loaded on first
// start with an empty database.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mercato/catalog/v1/catalog.pb.h"

namespace mercato::catalog {

struct SeedCatalog {
  std::vector<v1::Category> categories;
  std::vector<v1::Product> products;
};

// Parses the seed document {"categories":[{"id","name"}],"products":[Product JSON]}.
absl::StatusOr<SeedCatalog> ParseSeedCatalog(std::string_view json);
// The catalog compiled into this binary.
absl::StatusOr<SeedCatalog> BuiltInSeedCatalog();

}  // namespace mercato::catalog
