#include "catalog/product_cache.h"

namespace mercato::catalog {

void ProductCache::Reset(std::vector<VersionedProduct> products,
                         std::vector<v1::Category> categories) {
  absl::MutexLock lock(&mu_);
  by_id_.clear();
  versions_.clear();
  ordered_.clear();
  by_category_.clear();
  version_sum_ = 0;
  categories_ = std::move(categories);
  for (auto& p : products) {
    InsertLocked(std::make_shared<const v1::Product>(std::move(p.product)), p.version);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void ProductCache::Apply(const std::vector<VersionedProduct>& upserts,
                         const std::vector<std::string>& removed) {
  absl::MutexLock lock(&mu_);
  for (const auto& id : removed) EraseLocked(id);
  for (const auto& p : upserts) {
    auto it = versions_.find(p.product.id());
    if (it != versions_.end() && it->second >= p.version) continue;  // not newer
    EraseLocked(p.product.id());
    InsertLocked(std::make_shared<const v1::Product>(p.product), p.version);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void ProductCache::InsertLocked(ProductPtr product, int64_t version) {
  Key key{product->name(), product->id()};
  for (const auto& c : product->categories()) by_category_[c].insert(key);
  ordered_[key] = product;
  versions_[product->id()] = version;
  version_sum_ += version;
  by_id_[product->id()] = std::move(product);
}

void ProductCache::EraseLocked(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  Key key{it->second->name(), id};
  for (const auto& c : it->second->categories()) {
    auto cat = by_category_.find(c);
    if (cat != by_category_.end()) cat->second.erase(key);
  }
  ordered_.erase(key);
  if (auto v = versions_.find(id); v != versions_.end()) {
    version_sum_ -= v->second;
    versions_.erase(v);
  }
  by_id_.erase(it);
}

ProductPage ProductCache::List(const ProductQuery& query, ReadModelStamp* stamp) const {
  absl::ReaderMutexLock lock(&mu_);
  if (stamp != nullptr) {
    stamp->version = version_sum_;
    stamp->generation = generation_.load(std::memory_order_relaxed);
  }
  ProductPage page;
  auto emit = [&](auto begin, auto end, auto product_of) {
    for (auto it = begin; it != end; ++it) {
      if (static_cast<int>(page.products.size()) == query.limit) {
        page.has_more = true;
        break;
      }
      page.products.push_back(*product_of(it));
    }
    if (!page.products.empty()) {
      page.last = ProductCursor{
          .name = page.products.back().name(), .rank = "", .id = page.products.back().id()};
    }
  };
  if (query.category.empty()) {
    auto begin =
        query.after ? ordered_.upper_bound({query.after->name, query.after->id}) : ordered_.begin();
    emit(begin, ordered_.end(), [](auto it) { return it->second; });
  } else {
    auto cat = by_category_.find(query.category);
    if (cat == by_category_.end()) return page;
    const auto& keys = cat->second;
    auto begin =
        query.after ? keys.upper_bound({query.after->name, query.after->id}) : keys.begin();
    const auto* by_id = &by_id_;  // read under the lock taken above
    emit(begin, keys.end(), [by_id](auto it) { return by_id->at(it->second); });
  }
  return page;
}

std::optional<v1::Product> ProductCache::Get(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return *it->second;
}

std::vector<ProductCache::ProductPtr> ProductCache::GetMany(
    const std::vector<std::string>& ids) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<ProductPtr> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<v1::Category> ProductCache::Categories() const {
  absl::ReaderMutexLock lock(&mu_);
  return categories_;
}

bool ProductCache::HasCategory(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& c : categories_) {
    if (c.id() == id) return true;
  }
  return false;
}

size_t ProductCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return by_id_.size();
}

int64_t ProductCache::version() const {
  absl::ReaderMutexLock lock(&mu_);
  return version_sum_;
}

}  // namespace mercato::catalog
