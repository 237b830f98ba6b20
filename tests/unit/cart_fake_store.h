// An in-memory CartStore for unit tests of the cart service, with the semantics the Redis
// store guarantees (limits, merge rules, lines returned after each change). Whoever adds a
// method to CartStore adds it here too.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cart/cart_store.h"

namespace mercato::cart {

class FakeCartStore : public CartStore {
 public:
  // Carts by "u:<id>" / "g:<id>"; lines in insertion order.
  std::map<std::string, StoredLines> carts;
  // When set, every call fails with it (Redis down).
  std::optional<absl::Status> fail_with;
  int calls = 0;
  std::vector<std::string> removed_lines;  // product ids passed to RemoveLines

  static std::string Key(const CartRef& cart) {
    return (cart.kind == CartRef::Kind::kUser ? "u:" : "g:") + cart.id;
  }
  StoredLines& Lines(const CartRef& cart) { return carts[Key(cart)]; }
  int QuantityOf(const CartRef& cart, const std::string& product_id) {
    for (const auto& l : Lines(cart)) {
      if (l.product_id == product_id) return l.quantity;
    }
    return 0;
  }

  absl::StatusOr<StoredLines> Get(const CartRef& cart) override {
    if (auto s = Begin(); !s.ok()) return s;
    return Current(cart);
  }

  // The revision is the content itself plus a change counter: it changes with every change
  // of the lines and never comes back, as the Redis store's random tokens.
  absl::StatusOr<RevisedLines> GetRevised(const CartRef& cart) override {
    if (auto s = Begin(); !s.ok()) return s;
    RevisedLines out{Current(cart), ""};
    if (!out.lines.empty()) {
      std::string content;
      for (const auto& l : out.lines) {
        content += l.product_id + "*" + std::to_string(l.quantity) + ",";
      }
      out.revision = content + "#" + std::to_string(generation_[Key(cart)]);
    }
    return out;
  }

  absl::StatusOr<AddResult> Add(const CartRef& cart, const std::string& product_id, int delta,
                                const CartLimits& limits) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    StoredLines& lines = carts[Key(cart)];
    auto it = Find(lines, product_id);
    AddResult result;
    result.previous_quantity = it == lines.end() ? 0 : it->quantity;
    const int wanted = result.previous_quantity + delta;
    if (wanted < 1 || wanted > limits.max_quantity) {
      result.outcome = AddResult::Outcome::kQuantityOutOfRange;
    } else if (it == lines.end() && static_cast<int>(lines.size()) >= limits.max_lines) {
      result.outcome = AddResult::Outcome::kTooManyLines;
    } else if (it == lines.end()) {
      lines.push_back({product_id, wanted});
    } else {
      it->quantity = wanted;
    }
    result.lines = Current(cart);
    return result;
  }

  absl::StatusOr<SetResult> Set(const CartRef& cart, const std::string& product_id,
                                int quantity) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    StoredLines& lines = carts[Key(cart)];
    auto it = Find(lines, product_id);
    SetResult result;
    result.found = it != lines.end();
    if (result.found) it->quantity = quantity;
    result.lines = Current(cart);
    return result;
  }

  absl::StatusOr<StoredLines> Remove(const CartRef& cart, const std::string& product_id) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    StoredLines& lines = carts[Key(cart)];
    auto it = Find(lines, product_id);
    if (it != lines.end()) lines.erase(it);
    return Current(cart);
  }

  absl::Status RemoveLines(const CartRef& cart,
                           const std::vector<std::string>& product_ids) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    StoredLines& lines = carts[Key(cart)];
    for (const auto& id : product_ids) {
      removed_lines.push_back(id);
      auto it = Find(lines, id);
      if (it != lines.end()) lines.erase(it);
    }
    return absl::OkStatus();
  }

  absl::Status Clear(const CartRef& cart) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    carts.erase(Key(cart));
    return absl::OkStatus();
  }

  absl::StatusOr<StoredLines> Take(const CartRef& cart, const StoredLines& take) override {
    if (auto s = BeginChange(cart); !s.ok()) return s;
    StoredLines& lines = carts[Key(cart)];
    for (const auto& t : take) {
      auto it = Find(lines, t.product_id);
      if (it == lines.end()) continue;
      it->quantity -= t.quantity;
      if (it->quantity <= 0) lines.erase(it);
    }
    return Current(cart);
  }

  absl::StatusOr<StoredLines> Merge(const CartRef& guest, const CartRef& user,
                                    const CartLimits& limits) override {
    if (auto s = BeginChange(user); !s.ok()) return s;
    StoredLines from = Current(guest);
    StoredLines& into = carts[Key(user)];
    for (const auto& line : from) {
      auto it = Find(into, line.product_id);
      if (it != into.end()) {
        it->quantity = std::min(it->quantity + line.quantity, limits.max_quantity);
      } else if (static_cast<int>(into.size()) < limits.max_lines) {
        into.push_back({line.product_id, std::min(line.quantity, limits.max_quantity)});
      }
    }
    carts.erase(Key(guest));
    return Current(user);
  }

 private:
  absl::Status Begin() {
    ++calls;
    return fail_with ? *fail_with : absl::OkStatus();
  }
  // Begin() for a call that may change the cart: a new generation of its revision.
  absl::Status BeginChange(const CartRef& cart) {
    ++generation_[Key(cart)];
    return Begin();
  }
  std::map<std::string, int> generation_;
  StoredLines Current(const CartRef& cart) const {
    auto it = carts.find(Key(cart));
    return it == carts.end() ? StoredLines{} : it->second;
  }
  static StoredLines::iterator Find(StoredLines& lines, const std::string& product_id) {
    return std::find_if(lines.begin(), lines.end(),
                        [&](const StoredLine& l) { return l.product_id == product_id; });
  }
};

}  // namespace mercato::cart
