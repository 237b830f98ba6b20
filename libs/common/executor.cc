#include "common/executor.h"

#include <pthread.h>

namespace mercato {

BoundedExecutor::BoundedExecutor(std::string name, int threads, int max_pending)
    : name_(std::move(name)), max_pending_(max_pending) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Loop(); });
    pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
  }
}

BoundedExecutor::~BoundedExecutor() { Shutdown(); }

bool BoundedExecutor::TrySubmit(std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || pending_ >= max_pending_) return false;
    ++pending_;
    queue_.push_back(std::move(task));
  }
  cv_.Signal();
  return true;
}

void BoundedExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

int BoundedExecutor::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_;
}

void BoundedExecutor::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

}  // namespace mercato
