#include "common/periodic_task.h"

#include <spdlog/spdlog.h>

#include "absl/time/time.h"
#include "common/logging.h"

namespace mercato {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval,
                           std::function<absl::Status()> pass)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void PeriodicTask::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool PeriodicTask::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

void PeriodicTask::Run() {
  const absl::Duration interval = absl::FromChrono(interval_);
  while (!stopping()) {
    if (absl::Status s = pass_(); !s.ok()) spdlog::warn("{} pass failed: {}", name_, s);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), interval);
  }
}

}  // namespace mercato
