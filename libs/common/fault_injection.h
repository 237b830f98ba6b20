// Crash points for the kill -9 tests, compiled in only when the tests are built
// (-DMERCATO_FAULT_INJECTION=ON, the default together with MERCATO_BUILD_TESTS; the release
// images are built without tests, so without crash points). A process started with
// MERCATO_FAULT_CRASH_AT=<name> in its environment sends itself SIGKILL when it reaches the
// crash point of that name, exactly as an operator's kill -9 at that moment would. Without
// the build option CrashPoint does nothing and the variable is ignored; it is not part of any
// service's configuration (deploy/services.json).
//
//   CrashPoint("payment.after_processor");   // between two steps whose order matters
#pragma once

namespace mercato {

void CrashPoint(const char* name);

// Whether this binary was built with crash points.
bool FaultInjectionCompiledIn();

}  // namespace mercato
