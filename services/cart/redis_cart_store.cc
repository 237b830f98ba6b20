#include "cart/redis_cart_store.h"

#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"

namespace mercato::cart {
namespace {

// A cart's hash holds one field per line (product id -> quantity) and, under the field ""
// (never a product id: CheckProductId refuses an empty id), the cart's revision: a random
// token the caller passes as the script's last ARGV, written by every change to the lines.
//
// Each script ends with kFinish: a hash left with no line is deleted (its revision with it;
// the next change writes a fresh random one, so a revision never comes back), else its TTL is
// refreshed (ttl seconds, 0 for none). It returns the cart as HGETALL does.
constexpr char kFinish[] = R"lua(
local function finish(key, ttl)
  if redis.call('HLEN', key) == redis.call('HEXISTS', key, '') then
    redis.call('DEL', key)
  elseif tonumber(ttl) > 0 then
    redis.call('EXPIRE', key, ttl)
  end
  return redis.call('HGETALL', key)
end
local function lines(key)
  return redis.call('HLEN', key) - redis.call('HEXISTS', key, '')
end
)lua";

std::string WithFinish(const char* body) { return std::string(kFinish) + body; }

// KEYS[1] cart. ARGV: product id, delta, max quantity, max lines, ttl, revision.
// Returns {outcome, previous quantity, cart}; outcome 0 added, 1 quantity out of range,
// 2 too many lines.
const RedisScript kAddScript(WithFinish(R"lua(
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = current + tonumber(ARGV[2])
local outcome = 0
if wanted < 1 or wanted > tonumber(ARGV[3]) then
  outcome = 1
elseif current == 0 and lines(KEYS[1]) >= tonumber(ARGV[4]) then
  outcome = 2
else
  redis.call('HSET', KEYS[1], ARGV[1], wanted, '', ARGV[6])
end
return {outcome, current, finish(KEYS[1], ARGV[5])}
)lua"));

// KEYS[1] cart. ARGV: product id, quantity, ttl, revision. Returns {found (0/1), cart}.
const RedisScript kSetScript(WithFinish(R"lua(
local found = redis.call('HEXISTS', KEYS[1], ARGV[1])
if found == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '', ARGV[4]) end
return {found, finish(KEYS[1], ARGV[3])}
)lua"));

// KEYS[1] cart. ARGV: ttl, revision, then product ids. Returns the cart.
const RedisScript kRemoveScript(WithFinish(R"lua(
local removed = 0
for i = 3, #ARGV do removed = removed + redis.call('HDEL', KEYS[1], ARGV[i]) end
if removed > 0 then redis.call('HSET', KEYS[1], '', ARGV[2]) end
return finish(KEYS[1], ARGV[1])
)lua"));

// KEYS[1] cart. ARGV: ttl, revision, then product id and quantity pairs. Returns the cart.
const RedisScript kTakeScript(WithFinish(R"lua(
local changed = false
for i = 3, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if current > 0 then
    changed = true
    local left = current - tonumber(ARGV[i + 1])
    if left > 0 then
      redis.call('HSET', KEYS[1], ARGV[i], left)
    else
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
  end
end
if changed then redis.call('HSET', KEYS[1], '', ARGV[2]) end
return finish(KEYS[1], ARGV[1])
)lua"));

// KEYS[1] guest cart, KEYS[2] user cart. ARGV: max quantity, max lines, ttl of the user cart,
// revision. Returns the user cart.
const RedisScript kMergeScript(WithFinish(R"lua(
local max_quantity = tonumber(ARGV[1])
local max_lines = tonumber(ARGV[2])
local guest = redis.call('HGETALL', KEYS[1])
local count = lines(KEYS[2])
local changed = false
for i = 1, #guest, 2 do
  local add = tonumber(guest[i + 1])
  if guest[i] ~= '' and add and add > 0 then
    local current = tonumber(redis.call('HGET', KEYS[2], guest[i]) or '0')
    if current > 0 or count < max_lines then
      if current == 0 then count = count + 1 end
      redis.call('HSET', KEYS[2], guest[i], math.min(current + add, max_quantity))
      changed = true
    end
  end
end
redis.call('DEL', KEYS[1])
if changed then redis.call('HSET', KEYS[2], '', ARGV[4]) end
return finish(KEYS[2], ARGV[3])
)lua"));

// KEYS[1] cart. ARGV: ttl, revision. Returns the cart, giving one stored before revisions
// existed its first revision.
const RedisScript kGetRevisedScript(WithFinish(R"lua(
if lines(KEYS[1]) > 0 and redis.call('HEXISTS', KEYS[1], '') == 0 then
  redis.call('HSET', KEYS[1], '', ARGV[2])
end
return finish(KEYS[1], ARGV[1])
)lua"));

absl::Status Unexpected(absl::string_view what) {
  return absl::InternalError(absl::StrCat("unexpected Redis reply to ", what));
}

// HGETALL's flat [field, value, ...] array into lines and the revision. A value that is not a
// positive quantity (only a hand edit could write one) is skipped, not fatal for the cart.
absl::StatusOr<RevisedLines> ParseCart(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() % 2 != 0) {
    return Unexpected("HGETALL");
  }
  RevisedLines cart;
  cart.lines.reserve(reply.elements.size() / 2);
  for (size_t i = 0; i < reply.elements.size(); i += 2) {
    const std::string& id = reply.elements[i].str;
    if (id.empty()) {
      cart.revision = reply.elements[i + 1].str;
      continue;
    }
    int quantity = 0;
    if (!absl::SimpleAtoi(reply.elements[i + 1].str, &quantity) || quantity < 1) {
      spdlog::warn("ignoring cart line {} with quantity '{}'", id, reply.elements[i + 1].str);
      continue;
    }
    cart.lines.push_back({id, quantity});
  }
  return cart;
}

absl::StatusOr<StoredLines> ParseLines(const RedisReply& reply) {
  auto cart = ParseCart(reply);
  if (!cart.ok()) return cart.status();
  return std::move(cart->lines);
}

// A fresh revision for a change: random, so that no revision ever comes back.
std::string NewRevision() { return RandomToken(16); }

}  // namespace

std::string RedisCartStore::KeyOf(const CartRef& cart) const {
  return absl::StrCat(options_.key_prefix,
                      cart.kind == CartRef::Kind::kUser ? "u:" : "g:", cart.id);
}

std::string RedisCartStore::TtlArg(const CartRef& cart) const {
  return cart.kind == CartRef::Kind::kGuest ? absl::StrCat(options_.guest_ttl.count()) : "0";
}

absl::StatusOr<StoredLines> RedisCartStore::Get(const CartRef& cart) {
  const std::string key = KeyOf(cart);
  if (cart.kind == CartRef::Kind::kUser) {
    auto reply = redis_.Command({"HGETALL", key});
    if (!reply.ok()) return reply.status();
    return ParseLines(*reply);
  }
  auto replies = redis_.Pipeline({{"HGETALL", key}, {"EXPIRE", key, TtlArg(cart)}});
  if (!replies.ok()) return replies.status();
  return ParseLines(replies->front());
}

absl::StatusOr<RevisedLines> RedisCartStore::GetRevised(const CartRef& cart) {
  auto reply = redis_.Eval(kGetRevisedScript, {KeyOf(cart)}, {TtlArg(cart), NewRevision()});
  if (!reply.ok()) return reply.status();
  return ParseCart(*reply);
}

absl::StatusOr<AddResult> RedisCartStore::Add(const CartRef& cart, const std::string& product_id,
                                              int delta, const CartLimits& limits) {
  auto reply = redis_.Eval(kAddScript, {KeyOf(cart)},
                           {product_id, absl::StrCat(delta), absl::StrCat(limits.max_quantity),
                            absl::StrCat(limits.max_lines), TtlArg(cart), NewRevision()});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (reply->type != RedisReply::Type::kArray || e.size() != 3 ||
      e[0].type != RedisReply::Type::kInteger || e[1].type != RedisReply::Type::kInteger) {
    return Unexpected("the add script");
  }
  AddResult result;
  switch (e[0].integer) {
    case 0:
      result.outcome = AddResult::Outcome::kAdded;
      break;
    case 1:
      result.outcome = AddResult::Outcome::kQuantityOutOfRange;
      break;
    case 2:
      result.outcome = AddResult::Outcome::kTooManyLines;
      break;
    default:
      return Unexpected("the add script");
  }
  result.previous_quantity = static_cast<int>(e[1].integer);
  auto lines = ParseLines(e[2]);
  if (!lines.ok()) return lines.status();
  result.lines = *std::move(lines);
  return result;
}

absl::StatusOr<SetResult> RedisCartStore::Set(const CartRef& cart, const std::string& product_id,
                                              int quantity) {
  auto reply = redis_.Eval(kSetScript, {KeyOf(cart)},
                           {product_id, absl::StrCat(quantity), TtlArg(cart), NewRevision()});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (reply->type != RedisReply::Type::kArray || e.size() != 2 ||
      e[0].type != RedisReply::Type::kInteger) {
    return Unexpected("the set script");
  }
  SetResult result;
  result.found = e[0].integer == 1;
  auto lines = ParseLines(e[1]);
  if (!lines.ok()) return lines.status();
  result.lines = *std::move(lines);
  return result;
}

absl::StatusOr<StoredLines> RedisCartStore::Remove(const CartRef& cart,
                                                   const std::string& product_id) {
  auto reply = redis_.Eval(kRemoveScript, {KeyOf(cart)}, {TtlArg(cart), NewRevision(), product_id});
  if (!reply.ok()) return reply.status();
  return ParseLines(*reply);
}

absl::Status RedisCartStore::RemoveLines(const CartRef& cart,
                                         const std::vector<std::string>& product_ids) {
  if (product_ids.empty()) return absl::OkStatus();
  std::vector<std::string> args = {"0", NewRevision()};  // no TTL refresh
  args.insert(args.end(), product_ids.begin(), product_ids.end());
  return redis_.Eval(kRemoveScript, {KeyOf(cart)}, args).status();
}

absl::Status RedisCartStore::Clear(const CartRef& cart) {
  return redis_.Command({"DEL", KeyOf(cart)}).status();
}

absl::StatusOr<StoredLines> RedisCartStore::Take(const CartRef& cart, const StoredLines& take) {
  std::vector<std::string> args = {TtlArg(cart), NewRevision()};
  args.reserve(2 + 2 * take.size());
  for (const auto& line : take) {
    args.push_back(line.product_id);
    args.push_back(absl::StrCat(line.quantity));
  }
  auto reply = redis_.Eval(kTakeScript, {KeyOf(cart)}, args);
  if (!reply.ok()) return reply.status();
  return ParseLines(*reply);
}

absl::StatusOr<StoredLines> RedisCartStore::Merge(const CartRef& guest, const CartRef& user,
                                                  const CartLimits& limits) {
  auto reply = redis_.Eval(kMergeScript, {KeyOf(guest), KeyOf(user)},
                           {absl::StrCat(limits.max_quantity), absl::StrCat(limits.max_lines),
                            TtlArg(user), NewRevision()});
  if (!reply.ok()) return reply.status();
  return ParseLines(*reply);
}

}  // namespace mercato::cart
