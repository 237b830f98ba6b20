#include "cart/cart_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "commerce/money.h"
#include "common/call_context.h"
#include "common/logging.h"
#include "common/status.h"
#include "rpc/client.h"
#include "rpc/handler.h"
#include "rpc/status_conversion.h"

namespace mercato::cart {
namespace {

// The catalog answers at most this many ids per BatchGetProducts.
constexpr int kCatalogBatchSize = 100;

bool IsOutage(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

// Redis failures keep their code (503 / 504 at the gateway) but not their text, which names
// hosts; the text is logged instead.
absl::Status StoreError(const absl::Status& s) {
  if (!IsOutage(s)) return s;
  spdlog::warn("cart store: {}", s);
  return ErrorWithCode(s.code(), "cart_unavailable",
                       "the cart is temporarily unavailable, retry shortly");
}

absl::Status CatalogError(const absl::Status& s) {
  if (!IsOutage(s)) return s;
  spdlog::warn("catalog: {}", s);
  return ErrorWithCode(s.code(), "catalog_unavailable",
                       "product information is temporarily unavailable, retry shortly");
}

absl::Status ProductNotFound(const std::string& product_id) {
  return ErrorWithCode(absl::StatusCode::kNotFound, "product_not_found",
                       absl::StrCat("no product with id '", product_id, "'"));
}

absl::Status NotInCart(const std::string& product_id) {
  return ErrorWithCode(absl::StatusCode::kNotFound, "item_not_in_cart",
                       absl::StrCat("the cart has no line for product '", product_id, "'"));
}

absl::Status OutOfStock(const catalog::v1::Product& product) {
  return ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock",
                       absl::StrCat("'", product.name(), "' is out of stock"));
}

absl::Status CurrencyMismatch(const std::string& a, const std::string& b) {
  return ErrorWithCode(
      absl::StatusCode::kFailedPrecondition, "currency_mismatch",
      absl::StrCat("a cart holds products of one currency; this one would mix ", a, " and ", b));
}

// A price outside the bounds (stored before they existed): refused before anything changes.
absl::Status CheckUnitPrice(const catalog::v1::Product& product) {
  if (IsValidUnitPrice(product.price().amount())) return absl::OkStatus();
  return ErrorWithCode(
      absl::StatusCode::kFailedPrecondition, "price_out_of_range",
      absl::StrCat("unit_price of product ", product.id(), " must be between 0 and ", kMaxUnitPrice,
                   " minor units; the product's price needs correcting"));
}

const StoredLine* FindLine(const StoredLines& lines, const std::string& product_id) {
  for (const auto& line : lines) {
    if (line.product_id == product_id) return &line;
  }
  return nullptr;
}

}  // namespace

std::optional<CartRef> CartService::CartOf(const std::string& guest_cart_id) const {
  // The shopper's own (access token), or the one checkout names when it reads the cart it
  // orders and takes the bought lines out of it.
  const std::string user_id = UserActedFor({"checkout"});
  if (!user_id.empty()) return CartRef::User(user_id);
  if (IsValidGuestCartId(guest_cart_id)) return CartRef::Guest(guest_cart_id);
  return std::nullopt;
}

void CartService::EmptyCart(v1::Cart* out) const {
  out->Clear();
  out->mutable_subtotal()->set_amount(0);
  out->mutable_subtotal()->set_currency(options_.empty_cart_currency);
}

absl::Status CartService::FetchProducts(const std::vector<std::string>& ids, Products& products) {
  std::vector<std::string> wanted;
  for (const auto& id : ids) {
    if (!products.found.count(id) && !products.missing.count(id) &&
        std::find(wanted.begin(), wanted.end(), id) == wanted.end()) {
      wanted.push_back(id);
    }
  }
  for (size_t start = 0; start < wanted.size(); start += kCatalogBatchSize) {
    catalog::v1::BatchGetProductsRequest request;
    const size_t end = std::min(wanted.size(), start + kCatalogBatchSize);
    for (size_t i = start; i < end; ++i) request.add_ids(wanted[i]);
    catalog::v1::BatchGetProductsResponse reply;
    auto ctx = NewClientContext(options_.catalog_timeout);
    absl::Status s = FromGrpcStatus(catalog_.BatchGetProducts(ctx.get(), request, &reply));
    if (!s.ok()) return CatalogError(s);
    for (auto& p : *reply.mutable_products()) {
      std::string id = p.id();
      products.found.insert_or_assign(std::move(id), std::move(p));
    }
    for (const auto& id : reply.missing_ids()) products.missing.insert(id);
    // An id the catalog neither returned nor listed as missing counts as missing.
    for (size_t i = start; i < end; ++i) {
      if (!products.found.count(wanted[i])) products.missing.insert(wanted[i]);
    }
  }
  return absl::OkStatus();
}

absl::Status CartService::PriceCart(const CartRef& cart, const StoredLines& lines,
                                    Products& products, v1::Cart* out) {
  std::vector<std::string> ids;
  ids.reserve(lines.size());
  for (const auto& line : lines) ids.push_back(line.product_id);
  if (absl::Status s = FetchProducts(ids, products); !s.ok()) return s;

  struct Priced {
    const StoredLine* line;
    const catalog::v1::Product* product;
  };
  std::vector<Priced> priced;
  std::vector<std::string> gone;
  for (const auto& line : lines) {
    auto it = products.found.find(line.product_id);
    if (it == products.found.end()) {
      gone.push_back(line.product_id);
    } else {
      priced.push_back({&line, &it->second});
    }
  }
  if (!gone.empty()) {
    // Products that left the catalog leave the cart too. If this fails they are simply
    // dropped again on the next read.
    if (absl::Status s = store_.RemoveLines(cart, gone); !s.ok()) {
      spdlog::warn("could not remove {} vanished products from a cart: {}", gone.size(), s);
    }
  }
  if (priced.empty()) {
    EmptyCart(out);
    return absl::OkStatus();
  }
  std::sort(priced.begin(), priced.end(), [](const Priced& a, const Priced& b) {
    if (a.product->name() != b.product->name()) return a.product->name() < b.product->name();
    return a.product->id() < b.product->id();
  });

  const std::string& currency = priced.front().product->price().currency();
  int64_t subtotal = 0;
  out->Clear();
  out->mutable_items()->Reserve(static_cast<int>(priced.size()));
  for (const auto& [line, product] : priced) {
    if (product->price().currency() != currency) {
      return CurrencyMismatch(currency, product->price().currency());
    }
    // A price outside the bounds (stored before they existed) is a 409 naming the line, and
    // the shopper can still remove it; no sum can overflow within the bounds.
    auto line_total = LineTotal(
        product->price().amount(), line->quantity,
        absl::StrCat("items[", out->items_size(), "].unit_price of product ", line->product_id));
    if (!line_total.ok()) return line_total.status();
    if (absl::Status s = AddAmount(subtotal, *line_total, "subtotal"); !s.ok()) return s;
    v1::CartLine* item = out->add_items();
    item->set_product_id(line->product_id);
    item->set_name(product->name());
    item->set_quantity(line->quantity);
    *item->mutable_unit_price() = product->price();
    item->mutable_line_total()->set_amount(*line_total);
    item->mutable_line_total()->set_currency(currency);
    item->set_image_url(product->image_url());
    item->set_available_stock(product->stock());
  }
  out->mutable_subtotal()->set_amount(subtotal);
  out->mutable_subtotal()->set_currency(currency);
  return absl::OkStatus();
}

absl::Status CartService::DoGetCart(const v1::GetCartRequest& request, v1::Cart* response) {
  auto cart = CartOf(request.guest_cart_id());
  if (!cart) {
    EmptyCart(response);
    return absl::OkStatus();
  }
  auto lines = store_.GetRevised(*cart);
  if (!lines.ok()) return StoreError(lines.status());
  Products products;
  if (absl::Status s = PriceCart(*cart, lines->lines, products, response); !s.ok()) return s;
  response->set_revision(lines->revision);
  return absl::OkStatus();
}

absl::Status CartService::DoAddItem(const v1::AddItemRequest& request, v1::Cart* response) {
  if (absl::Status s = CheckProductId(request.product_id()); !s.ok()) return s;
  if (absl::Status s = CheckRequestedQuantity(request.quantity()); !s.ok()) return s;
  auto cart = CartOf(request.guest_cart_id());
  if (!cart) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "cart_id_required",
                         "adding to a cart needs a signed-in user or a guest cart id");
  }
  const std::string& product_id = request.product_id();

  // One catalog call checks the new product and learns the currency of the lines already
  // there; the same answers price the result.
  auto before = store_.Get(*cart);
  if (!before.ok()) return StoreError(before.status());
  std::vector<std::string> ids = {product_id};
  for (const auto& line : *before) ids.push_back(line.product_id);
  Products products;
  if (absl::Status s = FetchProducts(ids, products); !s.ok()) return s;
  auto it = products.found.find(product_id);
  if (it == products.found.end()) return ProductNotFound(product_id);
  const catalog::v1::Product& product = it->second;
  if (product.stock() <= 0) return OutOfStock(product);
  if (absl::Status s = CheckUnitPrice(product); !s.ok()) return s;
  for (const auto& line : *before) {
    auto other = products.found.find(line.product_id);
    if (other == products.found.end()) continue;
    if (other->second.price().currency() != product.price().currency()) {
      return CurrencyMismatch(other->second.price().currency(), product.price().currency());
    }
    if (absl::Status s = CheckUnitPrice(other->second); !s.ok()) return s;
  }

  auto added = store_.Add(*cart, product_id, request.quantity(), options_.limits);
  if (!added.ok()) return StoreError(added.status());
  switch (added->outcome) {
    case AddResult::Outcome::kAdded:
      if (options_.on_item_added) options_.on_item_added(/*new_cart=*/before->empty());
      break;
    case AddResult::Outcome::kQuantityOutOfRange:
      return ErrorWithCode(
          absl::StatusCode::kInvalidArgument, "quantity_limit_exceeded",
          absl::StrCat("the cart holds ", added->previous_quantity, " of '", product.name(),
                       "'; a line holds at most ", options_.limits.max_quantity));
    case AddResult::Outcome::kTooManyLines:
      return ErrorWithCode(
          absl::StatusCode::kFailedPrecondition, "cart_full",
          absl::StrCat("a cart holds at most ", options_.limits.max_lines, " different products"));
  }
  return PriceCart(*cart, added->lines, products, response);
}

absl::Status CartService::DoUpdateItem(const v1::UpdateItemRequest& request, v1::Cart* response) {
  if (absl::Status s = CheckProductId(request.product_id()); !s.ok()) return s;
  if (absl::Status s = CheckRequestedQuantity(request.quantity()); !s.ok()) return s;
  const std::string& product_id = request.product_id();
  auto cart = CartOf(request.guest_cart_id());
  if (!cart) return NotInCart(product_id);

  auto before = store_.Get(*cart);
  if (!before.ok()) return StoreError(before.status());
  const StoredLine* line = FindLine(*before, product_id);
  if (line == nullptr) return NotInCart(product_id);
  std::vector<std::string> ids;
  for (const auto& l : *before) ids.push_back(l.product_id);
  Products products;
  if (absl::Status s = FetchProducts(ids, products); !s.ok()) return s;
  auto it = products.found.find(product_id);
  if (it == products.found.end()) {
    if (absl::Status s = store_.RemoveLines(*cart, {product_id}); !s.ok()) {
      spdlog::warn("could not remove a vanished product from a cart: {}", s);
    }
    return ProductNotFound(product_id);
  }
  // Lowering the quantity of a product that ran out stays possible; raising it does not.
  if (request.quantity() > line->quantity && it->second.stock() <= 0) {
    return OutOfStock(it->second);
  }

  auto set = store_.Set(*cart, product_id, request.quantity());
  if (!set.ok()) return StoreError(set.status());
  if (!set->found) return NotInCart(product_id);  // removed meanwhile
  return PriceCart(*cart, set->lines, products, response);
}

absl::Status CartService::DoRemoveItem(const v1::RemoveItemRequest& request, v1::Cart* response) {
  if (absl::Status s = CheckProductId(request.product_id()); !s.ok()) return s;
  auto cart = CartOf(request.guest_cart_id());
  if (!cart) {
    EmptyCart(response);
    return absl::OkStatus();
  }
  auto lines = store_.Remove(*cart, request.product_id());
  if (!lines.ok()) return StoreError(lines.status());
  Products products;
  return PriceCart(*cart, *lines, products, response);
}

absl::Status CartService::DoClearCart(const v1::ClearCartRequest& request, v1::Cart* response) {
  if (request.take_size() > kMaxLinesPerCart) {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_take",
                         absl::StrCat("take names at most ", kMaxLinesPerCart, " lines"));
  }
  StoredLines take;
  take.reserve(request.take_size());
  for (const auto& line : request.take()) {
    if (absl::Status s = CheckProductId(line.product_id()); !s.ok()) return s;
    if (absl::Status s = CheckRequestedQuantity(line.quantity()); !s.ok()) return s;
    if (FindLine(take, line.product_id()) != nullptr) {
      return ErrorWithCode(absl::StatusCode::kInvalidArgument, "invalid_take",
                           absl::StrCat("take names product ", line.product_id(), " twice"));
    }
    take.push_back({line.product_id(), line.quantity()});
  }
  auto cart = CartOf(request.guest_cart_id());
  StoredLines left;
  if (cart && take.empty()) {
    if (absl::Status s = store_.Clear(*cart); !s.ok()) return StoreError(s);
  } else if (cart) {
    auto after = store_.Take(*cart, take);
    if (!after.ok()) return StoreError(after.status());
    left = *std::move(after);
  }
  if (left.empty()) {
    EmptyCart(response);
    return absl::OkStatus();
  }
  Products products;
  return PriceCart(*cart, left, products, response);
}

absl::Status CartService::DoMergeGuestCart(const v1::MergeGuestCartRequest& request,
                                           v1::Cart* response) {
  auto user_id = RequireSignedIn();
  if (!user_id.ok()) return user_id.status();
  const CartRef user = CartRef::User(*user_id);
  absl::StatusOr<StoredLines> lines =
      IsValidGuestCartId(request.guest_cart_id())
          ? store_.Merge(CartRef::Guest(request.guest_cart_id()), user, options_.limits)
          : store_.Get(user);
  if (!lines.ok()) return StoreError(lines.status());
  Products products;
  return PriceCart(user, *lines, products, response);
}

grpc::ServerUnaryReactor* CartService::GetCart(grpc::CallbackServerContext* ctx,
                                               const v1::GetCartRequest* request,
                                               v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoGetCart(*request, response); });
}

grpc::ServerUnaryReactor* CartService::AddItem(grpc::CallbackServerContext* ctx,
                                               const v1::AddItemRequest* request,
                                               v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoAddItem(*request, response);
  });
}

grpc::ServerUnaryReactor* CartService::UpdateItem(grpc::CallbackServerContext* ctx,
                                                  const v1::UpdateItemRequest* request,
                                                  v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoUpdateItem(*request, response);
  });
}

grpc::ServerUnaryReactor* CartService::RemoveItem(grpc::CallbackServerContext* ctx,
                                                  const v1::RemoveItemRequest* request,
                                                  v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoRemoveItem(*request, response);
  });
}

grpc::ServerUnaryReactor* CartService::ClearCart(grpc::CallbackServerContext* ctx,
                                                 const v1::ClearCartRequest* request,
                                                 v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] { return DoClearCart(*request, response); });
}

grpc::ServerUnaryReactor* CartService::MergeGuestCart(grpc::CallbackServerContext* ctx,
                                                      const v1::MergeGuestCartRequest* request,
                                                      v1::Cart* response) {
  return RunBlocking(ctx, executor_, [=, this] {
    if (absl::Status s = RequireCaller({"gateway"}); !s.ok()) return s;
    return DoMergeGuestCart(*request, response);
  });
}

}  // namespace mercato::cart
