// Storage behind the cart service: product ids and quantities per cart, nothing else (prices
// and names come from the catalog at read time). RedisCartStore is the real one; unit tests
// use a fake of this interface.
//
// Every change is atomic and returns the cart's lines as they are right after it, so that a
// caller never prices a state that mixes its own change with an older read. Guest carts
// expire `kGuestCartTtl` after their last use; every call on a guest cart (reads included)
// starts that period again.
//
// A cart has a revision: an opaque token that every change to its lines replaces with a
// fresh random one (so a revision never comes back, even after the cart was emptied and
// filled again). Checkout records the revision it ordered and orders each one at most once
// (issue 15, defect 12).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mercato::cart {

// Which cart: a signed-in user's or a guest's.
struct CartRef {
  enum class Kind { kUser, kGuest };
  Kind kind = Kind::kGuest;
  std::string id;

  static CartRef User(std::string id) { return {Kind::kUser, std::move(id)}; }
  static CartRef Guest(std::string id) { return {Kind::kGuest, std::move(id)}; }
  bool operator==(const CartRef&) const = default;
};

struct StoredLine {
  std::string product_id;
  int quantity = 0;
  bool operator==(const StoredLine&) const = default;
};
using StoredLines = std::vector<StoredLine>;

// A cart's lines and the revision they are at ("" for a cart that does not exist).
struct RevisedLines {
  StoredLines lines;
  std::string revision;
};

struct CartLimits {
  int max_quantity = 99;
  int max_lines = 100;
};

struct AddResult {
  enum class Outcome {
    kAdded,
    // The line would leave 1..max_quantity; nothing changed.
    kQuantityOutOfRange,
    // A new line would exceed max_lines; nothing changed.
    kTooManyLines,
  };
  Outcome outcome = Outcome::kAdded;
  // The line's quantity before the call (0 when there was none).
  int previous_quantity = 0;
  StoredLines lines;
};

struct SetResult {
  // False when the cart has no line for the product (nothing changed).
  bool found = false;
  StoredLines lines;
};

class CartStore {
 public:
  virtual ~CartStore() = default;

  virtual absl::StatusOr<StoredLines> Get(const CartRef& cart) = 0;
  // The lines and their revision, read at once. A cart with lines but no revision (stored
  // before revisions existed) is given one.
  virtual absl::StatusOr<RevisedLines> GetRevised(const CartRef& cart) = 0;
  // Adds `delta` to the product's line (creating it), atomically: concurrent adds never lose
  // an update, and the limits hold under any interleaving.
  virtual absl::StatusOr<AddResult> Add(const CartRef& cart, const std::string& product_id,
                                        int delta, const CartLimits& limits) = 0;
  // Sets the quantity of an existing line.
  virtual absl::StatusOr<SetResult> Set(const CartRef& cart, const std::string& product_id,
                                        int quantity) = 0;
  // Removes the product's line, if any.
  virtual absl::StatusOr<StoredLines> Remove(const CartRef& cart,
                                             const std::string& product_id) = 0;
  // Removes these lines (products that left the catalog); no TTL refresh, no result.
  virtual absl::Status RemoveLines(const CartRef& cart,
                                   const std::vector<std::string>& product_ids) = 0;
  virtual absl::Status Clear(const CartRef& cart) = 0;
  // Lowers each named line by the quantity given, atomically; a line that reaches zero or
  // less goes, lines not named (and products not in the cart) are left alone. Returns the
  // lines after the change.
  virtual absl::StatusOr<StoredLines> Take(const CartRef& cart, const StoredLines& take) = 0;
  // Moves the guest cart's lines into the user's cart, atomically: quantities add, capped at
  // limits.max_quantity; guest lines that would exceed limits.max_lines are dropped. The
  // guest cart is deleted. Returns the user's lines after the merge.
  virtual absl::StatusOr<StoredLines> Merge(const CartRef& guest, const CartRef& user,
                                            const CartLimits& limits) = 0;
};

using CartStorePtr = std::unique_ptr<CartStore>;

}  // namespace mercato::cart
