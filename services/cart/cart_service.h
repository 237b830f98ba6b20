// gRPC handlers of mercato.cart.v1.CartService. The cart acted on is the signed-in user's (the
// shopper's verified access token, or the user checkout names: rpc/handler.h UserActedFor)
// or else the guest cart named by guest_cart_id. Only the gateway may change a cart's lines;
// checkout may also read and clear its shopper's cart (docs/security.md). The store keeps product
// ids and quantities; every answer is priced from the catalog (BatchGetProducts) at that moment:
// current price, line totals, subtotal.
//
// Errors (ErrorInfo codes): invalid_quantity, invalid_product_id, quantity_limit_exceeded,
// cart_id_required (INVALID_ARGUMENT); product_not_found, item_not_in_cart (NOT_FOUND);
// out_of_stock, cart_full, currency_mismatch (FAILED_PRECONDITION); cart_unavailable,
// catalog_unavailable (UNAVAILABLE).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cart/cart_rules.h"
#include "cart/cart_store.h"
#include "common/executor.h"
#include "mercato/cart/v1/cart.grpc.pb.h"
#include "mercato/catalog/v1/catalog.grpc.pb.h"

namespace mercato::cart {

class CartService final : public v1::CartService::CallbackService {
 public:
  struct Options {
    // Deadline of each catalog call (never past the incoming call's).
    std::chrono::milliseconds catalog_timeout{3000};
    std::string empty_cart_currency = "USD";
    CartLimits limits{kMaxQuantityPerLine, kMaxLinesPerCart};
    // Business metrics: called after each successful AddItem; `new_cart` when it was the
    // cart's first line. Unset: nothing is counted.
    std::function<void(bool new_cart)> on_item_added;
  };

  CartService(CartStore& store, catalog::v1::CatalogService::StubInterface& catalog,
              BoundedExecutor& executor, Options options)
      : store_(store), catalog_(catalog), executor_(executor), options_(std::move(options)) {}

  // The logic of each RPC, callable without gRPC (unit tests, benchmarks). The caller's
  // identity is CurrentCall().
  absl::Status DoGetCart(const v1::GetCartRequest& request, v1::Cart* response);
  absl::Status DoAddItem(const v1::AddItemRequest& request, v1::Cart* response);
  absl::Status DoUpdateItem(const v1::UpdateItemRequest& request, v1::Cart* response);
  absl::Status DoRemoveItem(const v1::RemoveItemRequest& request, v1::Cart* response);
  absl::Status DoClearCart(const v1::ClearCartRequest& request, v1::Cart* response);
  absl::Status DoMergeGuestCart(const v1::MergeGuestCartRequest& request, v1::Cart* response);

  grpc::ServerUnaryReactor* GetCart(grpc::CallbackServerContext* ctx,
                                    const v1::GetCartRequest* request, v1::Cart* response) override;
  grpc::ServerUnaryReactor* AddItem(grpc::CallbackServerContext* ctx,
                                    const v1::AddItemRequest* request, v1::Cart* response) override;
  grpc::ServerUnaryReactor* UpdateItem(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateItemRequest* request,
                                       v1::Cart* response) override;
  grpc::ServerUnaryReactor* RemoveItem(grpc::CallbackServerContext* ctx,
                                       const v1::RemoveItemRequest* request,
                                       v1::Cart* response) override;
  grpc::ServerUnaryReactor* ClearCart(grpc::CallbackServerContext* ctx,
                                      const v1::ClearCartRequest* request,
                                      v1::Cart* response) override;
  grpc::ServerUnaryReactor* MergeGuestCart(grpc::CallbackServerContext* ctx,
                                           const v1::MergeGuestCartRequest* request,
                                           v1::Cart* response) override;

 private:
  // Catalog answers gathered while handling one call: found products, and ids the catalog
  // said do not exist.
  struct Products {
    std::unordered_map<std::string, catalog::v1::Product> found;
    std::unordered_set<std::string> missing;
  };

  // The signed-in user's cart (or, for checkout, the user it names), else the guest cart when
  // guest_cart_id is well formed, else none (an anonymous caller without a cart, or a forged id: an
  // empty cart).
  std::optional<CartRef> CartOf(const std::string& guest_cart_id) const;
  // Asks the catalog about the ids not yet in `products`, in batches.
  absl::Status FetchProducts(const std::vector<std::string>& ids, Products& products);
  // Fills `out` from the stored lines: names and prices from the catalog, line totals and
  // the subtotal. Lines whose product left the catalog are dropped (and removed from the
  // store). Lines are ordered by product name, then id.
  absl::Status PriceCart(const CartRef& cart, const StoredLines& lines, Products& products,
                         v1::Cart* out);
  void EmptyCart(v1::Cart* out) const;

  CartStore& store_;
  catalog::v1::CatalogService::StubInterface& catalog_;
  BoundedExecutor& executor_;
  const Options options_;
};

}  // namespace mercato::cart
