#include "catalog_client/catalog_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "commerce/money.h"
#include "rpc/call.h"

namespace mercato {

absl::Status CatalogClient::Lookup(const std::vector<std::string>& ids,
                                   ProductLookup& lookup) const {
  std::vector<std::string> wanted;
  for (const auto& id : ids) {
    if (!lookup.found.count(id) && !lookup.missing.count(id) &&
        std::find(wanted.begin(), wanted.end(), id) == wanted.end()) {
      wanted.push_back(id);
    }
  }
  for (size_t start = 0; start < wanted.size(); start += kMaxBatchGetProductsIds) {
    catalog::v1::BatchGetProductsRequest request;
    const size_t end = std::min(wanted.size(), start + kMaxBatchGetProductsIds);
    for (size_t i = start; i < end; ++i) request.add_ids(wanted[i]);
    auto reply = CallUnary(stub_, &catalog::v1::CatalogService::StubInterface::BatchGetProducts,
                           request, timeout_);
    if (!reply.ok()) return reply.status();
    for (auto& p : *reply->mutable_products()) {
      std::string id = p.id();
      lookup.found.insert_or_assign(std::move(id), std::move(p));
    }
    for (const auto& id : reply->missing_ids()) lookup.missing.insert(id);
    for (size_t i = start; i < end; ++i) {
      if (!lookup.found.count(wanted[i])) lookup.missing.insert(wanted[i]);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LineTotalOf(const catalog::v1::Product& product, int64_t quantity,
                                    int line_index) {
  return LineTotal(product.price().amount(), quantity,
                   absl::StrCat("items[", line_index, "].unit_price of product ", product.id()));
}

}  // namespace mercato
