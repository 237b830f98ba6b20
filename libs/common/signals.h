// SIGTERM / SIGINT handling for long-running processes.
//
//   int main() {
//     mercato::BlockTerminationSignals();   // first, before any thread starts
//     ... start servers ...
//     mercato::WaitForTerminationSignal();  // returns on SIGTERM or SIGINT
//     ... drain and exit 0 ...
//   }
#pragma once

namespace mercato {

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread; threads created afterwards
// inherit the mask, so the signals are only ever taken by WaitForTerminationSignal().
void BlockTerminationSignals();

// The first call of every main(): BlockTerminationSignals(), and absl::Mutex deadlock
// detection off. Debian builds Abseil without NDEBUG, which leaves that detection on: a
// lock-order graph updated on every Mutex lock inside gRPC, visible in every profile. And
// LimitMallocArenas() (common/memory_trim.h), which must come before the first thread.
void InitProcess();
// Waits for SIGTERM or SIGINT and returns its number.
int WaitForTerminationSignal();

}  // namespace mercato
