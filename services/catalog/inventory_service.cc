#include "catalog/inventory_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"

namespace mercato::catalog {
namespace {

absl::Status InvalidReservation(absl::string_view code, absl::string_view message) {
  return ErrorWithCode(absl::StatusCode::kInvalidArgument, code, message);
}

}  // namespace

absl::Status ValidateReservationId(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= kMaxReservationIdLength &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                           c == '_' || c == ':' || c == '-';
                  });
  if (!ok) {
    return InvalidReservation("invalid_reservation_id",
                              absl::StrCat("reservation_id must be 1 to ", kMaxReservationIdLength,
                                           " characters of A-Z, a-z, 0-9, '.', '_', ':', '-'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ReservationItem>> NormalizeReservationItems(
    const google::protobuf::RepeatedPtrField<v1::ReservationItem>& items) {
  if (items.empty() || items.size() > kMaxReservationLines) {
    return InvalidReservation(
        "invalid_items", absl::StrCat("a reservation needs 1 to ", kMaxReservationLines, " items"));
  }
  for (const auto& item : items) {
    if (item.quantity() <= 0 || item.quantity() > kMaxReservationQuantity) {
      return InvalidReservation("invalid_quantity",
                                absl::StrCat("quantity of product '", item.product_id(),
                                             "' must be between 1 and ", kMaxReservationQuantity));
    }
  }
  // Lower-case ids, so that one product is one line and every caller locks rows in the
  // same order. The merged quantity fits: 1000 lines * 1000000 < 2^31.
  std::map<std::string, int32_t> merged;
  for (const auto& item : items) {
    if (!IsUuid(item.product_id())) {
      return ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found",
                           absl::StrCat("no product with id '", item.product_id(), "'"));
    }
    merged[absl::AsciiStrToLower(item.product_id())] += item.quantity();
  }
  std::vector<v1::ReservationItem> out;
  out.reserve(merged.size());
  for (const auto& [id, quantity] : merged) {
    v1::ReservationItem& item = out.emplace_back();
    item.set_product_id(id);
    item.set_quantity(quantity);
  }
  return out;
}

InventoryService::InventoryService(InventoryStore& store, CacheRefresher& refresher,
                                   InventoryOptions options, prometheus::Registry& metrics_registry)
    : store_(store), refresher_(refresher), options_(options), metrics_(metrics_registry) {}

void InventoryService::RefreshAfterWrite(const v1::Reservation& reservation) {
  std::vector<std::string> ids;
  for (const auto& item : reservation.items()) ids.push_back(item.product_id());
  catalog::RefreshAfterWrite(refresher_, ids);
}

absl::Status InventoryService::DoReserveStock(const v1::ReserveStockRequest& request,
                                              v1::Reservation* response) {
  if (absl::Status s = ValidateReservationId(request.reservation_id()); !s.ok()) return s;
  if (request.ttl_seconds() < 0 || request.ttl_seconds() > options_.max_ttl.count()) {
    return InvalidReservation(
        "invalid_ttl",
        absl::StrCat("ttl_seconds must be between 0 (the default, ", options_.default_ttl.count(),
                     ") and ", options_.max_ttl.count()));
  }
  auto items = NormalizeReservationItems(request.items());
  if (!items.ok()) return items.status();
  const std::chrono::seconds ttl = request.ttl_seconds() == 0
                                       ? options_.default_ttl
                                       : std::chrono::seconds(request.ttl_seconds());
  auto reserved = store_.ReserveStock(request.reservation_id(), *items, ttl);
  if (!reserved.ok()) {
    if (ExplicitErrorCodeOf(reserved.status()) == "out_of_stock") {
      metrics_.out_of_stock.Increment();
    }
    return reserved.status();
  }
  if (reserved->changed) {
    metrics_.reserved.Increment();
    RefreshAfterWrite(reserved->reservation);
  }
  *response = std::move(reserved->reservation);
  return absl::OkStatus();
}

absl::Status InventoryService::DoCommitReservation(const v1::CommitReservationRequest& request,
                                                   v1::Reservation* response) {
  if (absl::Status s = ValidateReservationId(request.reservation_id()); !s.ok()) return s;
  auto committed = store_.CommitReservation(request.reservation_id());
  if (!committed.ok()) return committed.status();
  // The units leave on hand and reserved alike: what can be bought does not change, what an
  // admin sees does.
  if (committed->changed) {
    metrics_.committed.Increment();
    RefreshAfterWrite(committed->reservation);
  }
  *response = std::move(committed->reservation);
  return absl::OkStatus();
}

absl::Status InventoryService::DoReleaseReservation(const v1::ReleaseReservationRequest& request,
                                                    v1::Reservation* response) {
  if (absl::Status s = ValidateReservationId(request.reservation_id()); !s.ok()) return s;
  auto released = store_.ReleaseReservation(request.reservation_id());
  if (!released.ok()) return released.status();
  // A tombstone (an id never reserved) has no items and returns no stock.
  if (released->changed && released->reservation.items_size() > 0) {
    metrics_.released.Increment();
    RefreshAfterWrite(released->reservation);
  }
  *response = std::move(released->reservation);
  return absl::OkStatus();
}

absl::Status InventoryService::DoReturnStock(const v1::ReturnStockRequest& request,
                                             v1::Reservation* response) {
  if (absl::Status s = ValidateReservationId(request.reservation_id()); !s.ok()) return s;
  auto returned = store_.ReturnStock(request.reservation_id());
  if (!returned.ok()) return returned.status();
  if (returned->changed) {
    metrics_.returned.Increment();
    RefreshAfterWrite(returned->reservation);
  }
  *response = std::move(returned->reservation);
  return absl::OkStatus();
}

}  // namespace mercato::catalog
