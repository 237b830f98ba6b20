// CartStore in Redis: one hash per cart, field = product id, value = quantity, and the field ""
// = the cart's revision (cart_store.h).
//   mercato:cart:u:<user id>    a signed-in user's cart (no expiry)
//   mercato:cart:g:<guest id>   a guest cart (expires kGuestCartTtl after its last use)
// Only guest carts have an expiry, so a Redis run with maxmemory-policy volatile-lru (the Helm
// chart's) evicts the least recently used guest carts under memory pressure and never a
// signed-in shopper's cart.
// Changes run as Lua scripts (EVALSHA), so each one is atomic on the server: 20 concurrent
// "+1" adds give exactly 20, and the 1..99 and line-count limits hold under any interleaving.
// Merging touches two keys in one script; in a Redis Cluster both would need one hash slot.
//
//   mercato::RedisClient redis(options);
//   RedisCartStore store(redis);
//   auto result = store.Add(CartRef::Guest(id), product_id, 1, CartLimits{});
#pragma once

#include <chrono>
#include <string>

#include "cart/cart_rules.h"
#include "cart/cart_store.h"
#include "redis/redis_client.h"

namespace mercato::cart {

class RedisCartStore final : public CartStore {
 public:
  struct Options {
    std::string key_prefix = "mercato:cart:";
    std::chrono::seconds guest_ttl = kGuestCartTtl;
  };

  explicit RedisCartStore(RedisClient& redis) : RedisCartStore(redis, Options{}) {}
  RedisCartStore(RedisClient& redis, Options options)
      : redis_(redis), options_(std::move(options)) {}

  absl::StatusOr<StoredLines> Get(const CartRef& cart) override;
  absl::StatusOr<RevisedLines> GetRevised(const CartRef& cart) override;
  absl::StatusOr<AddResult> Add(const CartRef& cart, const std::string& product_id, int delta,
                                const CartLimits& limits) override;
  absl::StatusOr<SetResult> Set(const CartRef& cart, const std::string& product_id,
                                int quantity) override;
  absl::StatusOr<StoredLines> Remove(const CartRef& cart, const std::string& product_id) override;
  absl::Status RemoveLines(const CartRef& cart,
                           const std::vector<std::string>& product_ids) override;
  absl::Status Clear(const CartRef& cart) override;
  absl::StatusOr<StoredLines> Take(const CartRef& cart, const StoredLines& take) override;
  absl::StatusOr<StoredLines> Merge(const CartRef& guest, const CartRef& user,
                                    const CartLimits& limits) override;

  // The Redis key of a cart (for tests and operators).
  std::string KeyOf(const CartRef& cart) const;

 private:
  // The TTL to apply after using this cart, in seconds as a string ("0": none).
  std::string TtlArg(const CartRef& cart) const;

  RedisClient& redis_;
  const Options options_;
};

}  // namespace mercato::cart
