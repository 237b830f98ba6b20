#include "common/memory_trim.h"

#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace mercato {

void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  mallopt(M_ARENA_MAX, cores > 1 ? static_cast<int>(cores) : 1);
}

std::chrono::nanoseconds ProcessCpuTime() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return std::chrono::nanoseconds{0};
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

int64_t AnonymousResidentKb() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  long long size = 0, resident = 0, shared = 0;
  const int read = std::fscanf(statm, "%lld %lld %lld", &size, &resident, &shared);
  std::fclose(statm);
  if (read != 3) return 0;
  return (resident - shared) * (sysconf(_SC_PAGESIZE) / 1024);
}

bool IdleTrimPolicy::TrimAfter(std::chrono::nanoseconds cpu_used) {
  if (cpu_used >= quiet_cpu_) {
    busy_since_trim_ = true;
    return false;
  }
  if (!busy_since_trim_) return false;
  busy_since_trim_ = false;
  return true;
}

namespace {

std::chrono::nanoseconds QuietCpu(const IdleTrimOptions& options) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(options.period *
                                                              options.quiet_cpu_share);
}

}  // namespace

IdleTrimmer::IdleTrimmer(IdleTrimOptions options, std::function<void(const TrimResult&)> on_trim)
    : options_(std::move(options)),
      on_trim_(std::move(on_trim)),
      policy_(QuietCpu(options_)),
      task_("idle memory trim", options_.period, [this] {
        CheckOnce();
        return absl::OkStatus();
      }) {
  if (!options_.cpu_time) options_.cpu_time = ProcessCpuTime;
  if (!options_.trim) options_.trim = [] { malloc_trim(0); };
}

IdleTrimmer::~IdleTrimmer() { Stop(); }

void IdleTrimmer::CheckOnce() {
  const std::chrono::nanoseconds now = options_.cpu_time();
  // The first pass runs at Start(): it only takes the baseline.
  const bool first = !started_;
  started_ = true;
  const std::chrono::nanoseconds used = now - last_cpu_;
  last_cpu_ = now;
  if (first || !policy_.TrimAfter(used)) return;
  TrimResult result;
  result.anonymous_kb_before = AnonymousResidentKb();
  options_.trim();
  result.anonymous_kb_after = AnonymousResidentKb();
  if (on_trim_) on_trim_(result);
}

}  // namespace mercato
