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
// Waits for SIGTERM or SIGINT and returns its number.
int WaitForTerminationSignal();

}  // namespace mercato
