#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

#include "absl/synchronization/mutex.h"
#include "common/memory_trim.h"

namespace mercato {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  sigaddset(&set, SIGPIPE);  // a peer closing a socket must not kill the process
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void InitProcess() {
  BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  LimitMallocArenas();
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace mercato
