// Keeps a service's own memory small when it has nothing to do.
//
// glibc keeps what a burst of requests freed in its per-thread arenas: after a benchmark a
// backend holds 1-5 MB more anonymous memory than before it, until something calls
// malloc_trim(). IdleTrimmer calls it once the process has gone quiet, once per quiet spell:
//
//   mercato::IdleTrimmer trimmer({}, [](const mercato::TrimResult& r) { ... count it ... });
//   trimmer.Start();   // a thread that wakes every `period`
//   ...
//   trimmer.Stop();
//
// "Quiet" is judged by the process's CPU time, not by its RPCs: a catalog answers the
// gateways' version polls ten times a second and would never see a pause between calls, yet
// those polls cost a fraction of a percent of a core and grow nothing. A period whose CPU time
// stays under `quiet_cpu` is quiet; the first quiet period after a busy one trims.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "common/periodic_task.h"

namespace mercato {

// Limits glibc to as many malloc arenas as the machine has cores (its default is 8 per core),
// unless MALLOC_ARENA_MAX (glibc's own variable) is set. Call before any thread starts
// (InitProcess() does). With fewer arenas, memory freed by one worker thread is reused by the
// next instead of staying in an arena only its owner allocates from.
void LimitMallocArenas();

// CPU time (user + system) of every thread of this process so far.
std::chrono::nanoseconds ProcessCpuTime();

// This process's anonymous resident memory (VmRSS minus its file and shared-memory pages), in
// kB, from /proc/self/statm; 0 if it cannot be read.
int64_t AnonymousResidentKb();

// The decision alone, without threads or clocks: fed the CPU time of each period in turn,
// says when to trim.
class IdleTrimPolicy {
 public:
  explicit IdleTrimPolicy(std::chrono::nanoseconds quiet_cpu) : quiet_cpu_(quiet_cpu) {}

  // True when this period (`cpu_used` of CPU time) was quiet and a busy period came since the
  // last trim. The process starts busy (start-up itself allocates), so the first quiet period
  // trims too.
  bool TrimAfter(std::chrono::nanoseconds cpu_used);

 private:
  const std::chrono::nanoseconds quiet_cpu_;
  bool busy_since_trim_ = true;
};

struct IdleTrimOptions {
  // How often the CPU time is looked at: a trim comes one to two periods after the work stops.
  std::chrono::milliseconds period{10000};
  // A period with less CPU time than this fraction of one core over it is quiet. Idle services
  // measured 0-0.8 % (polls, sweeps, Kafka heartbeats); under any real load they use far more.
  double quiet_cpu_share = 0.02;
  // For tests; empty: ProcessCpuTime() and malloc_trim(0).
  std::function<std::chrono::nanoseconds()> cpu_time;
  std::function<void()> trim;
};

// Anonymous resident memory just before and just after one trim.
struct TrimResult {
  int64_t anonymous_kb_before = 0;
  int64_t anonymous_kb_after = 0;
};

class IdleTrimmer {
 public:
  // `on_trim` (may be empty) runs on the trimmer's thread after each trim.
  IdleTrimmer(IdleTrimOptions options, std::function<void(const TrimResult&)> on_trim);
  ~IdleTrimmer();  // Stop()
  IdleTrimmer(const IdleTrimmer&) = delete;
  IdleTrimmer& operator=(const IdleTrimmer&) = delete;

  void Start() { task_.Start(); }
  void Stop() { task_.Stop(); }

 private:
  void CheckOnce();

  IdleTrimOptions options_;
  std::function<void(const TrimResult&)> on_trim_;
  IdleTrimPolicy policy_;
  // Only the task's thread touches these after Start().
  bool started_ = false;
  std::chrono::nanoseconds last_cpu_{0};
  PeriodicTask task_;  // last: stopped before the members it uses go
};

}  // namespace mercato
