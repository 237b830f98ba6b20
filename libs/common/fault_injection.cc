#include "common/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace mercato {

#ifdef MERCATO_FAULT_INJECTION

void CrashPoint(const char* name) {
  static const char* const crash_at = std::getenv("MERCATO_FAULT_CRASH_AT");
  if (crash_at != nullptr && std::strcmp(crash_at, name) == 0) kill(getpid(), SIGKILL);
}

bool FaultInjectionCompiledIn() { return true; }

#else

void CrashPoint(const char*) {}

bool FaultInjectionCompiledIn() { return false; }

#endif

}  // namespace mercato
