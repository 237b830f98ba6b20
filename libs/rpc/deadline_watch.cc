#include "rpc/deadline_watch.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mercato {

DeadlineWatch& DeadlineWatch::Instance() {
  // Never destroyed: calls may end during static destruction.
  static auto* watch = new DeadlineWatch();
  return *watch;
}

DeadlineWatch::DeadlineWatch() {
  std::thread thread([this] { Run(); });
  thread_id_ = thread.get_id();
  thread.detach();
}

uint64_t DeadlineWatch::Arm(Clock::time_point deadline, grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  pending_.emplace(std::make_pair(deadline, id), Watch{context});
  deadlines_.emplace(id, deadline);
  return id;
}

bool DeadlineWatch::Disarm(uint64_t id) {
  absl::MutexLock lock(&mu_);
  // The context must outlive a cancel of it in progress, unless that cancel runs this very
  // call's completion inline on the watch's own thread.
  if (std::this_thread::get_id() != thread_id_) {
    auto done = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancelling_ != id; };
    mu_.Await(absl::Condition(&done));
  }
  if (auto fired = fired_.find(id); fired != fired_.end()) {
    fired_.erase(fired);
    return true;
  }
  if (auto it = deadlines_.find(id); it != deadlines_.end()) {
    pending_.erase({it->second, id});
    deadlines_.erase(it);
  }
  return false;
}

void DeadlineWatch::WaitForTheFirst() {
  if (pending_.empty()) {
    auto armed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !pending_.empty(); };
    mu_.Await(absl::Condition(&armed));
    return;
  }
  const auto first = pending_.begin()->first;
  const size_t count = pending_.size();
  auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.size() != count || pending_.begin()->first != first;
  };
  mu_.AwaitWithTimeout(absl::Condition(&changed),
                       absl::FromChrono(first.first - Clock::now()) + absl::Microseconds(100));
}

void DeadlineWatch::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (pending_.empty() || pending_.begin()->first.first > Clock::now()) {
      WaitForTheFirst();
      continue;
    }
    const auto [key, watch] = *pending_.begin();
    pending_.erase(pending_.begin());
    deadlines_.erase(key.second);
    fired_.emplace(key.second, true);
    cancelling_ = key.second;
    mu_.Unlock();
    watch.context->TryCancel();
    mu_.Lock();
    cancelling_ = 0;
  }
}

}  // namespace mercato
