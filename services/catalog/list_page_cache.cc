#include "catalog/list_page_cache.h"

#include "absl/strings/str_cat.h"

namespace mercato::catalog {

std::string ListPageCache::Key(int page_size, const std::string& category,
                               const std::string& page_token) {
  // The category's length makes the split between category and token unambiguous.
  return absl::StrCat(page_size, ":", category.size(), ":", category, page_token);
}

ListPageCache::Bytes ListPageCache::Find(const std::string& key, uint64_t generation) const {
  Bytes found;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (generation == generation_) {
      auto it = entries_.find(key);
      if (it != entries_.end()) found = it->second;
    }
  }
  (found ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return found;
}

void ListPageCache::Insert(const std::string& key, uint64_t generation, Bytes bytes) {
  const size_t size = key.size() + bytes->size();
  if (size > options_.max_bytes || options_.max_entries == 0) return;
  absl::MutexLock lock(&mu_);
  if (generation < generation_) return;
  if (generation > generation_) {
    entries_.clear();
    insertion_order_.clear();
    bytes_ = 0;
    generation_ = generation;
  }
  if (entries_.count(key)) return;  // the same bytes: built from the same content
  while (!entries_.empty() &&
         (entries_.size() >= options_.max_entries || bytes_ + size > options_.max_bytes)) {
    EvictOldestLocked();
  }
  entries_.emplace(key, std::move(bytes));
  insertion_order_.push_back(key);
  bytes_ += size;
}

void ListPageCache::EvictOldestLocked() {
  auto it = entries_.find(insertion_order_.front());
  bytes_ -= it->first.size() + it->second->size();
  entries_.erase(it);
  insertion_order_.pop_front();
}

size_t ListPageCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

size_t ListPageCache::bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return bytes_;
}

}  // namespace mercato::catalog
