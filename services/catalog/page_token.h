// Opaque page tokens for keyset pagination: URL-safe base64 of a small JSON document that
// holds the cursor and a fingerprint of the filters it was issued for. A token that does not
// decode, or that was issued for other filters, is INVALID_ARGUMENT.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"

namespace mercato::catalog {

std::string EncodePageToken(const ProductCursor& cursor, const std::string& category,
                            const std::string& text);

absl::StatusOr<ProductCursor> DecodePageToken(const std::string& token,
                                              const std::string& category,
                                              const std::string& text);

}  // namespace mercato::catalog
