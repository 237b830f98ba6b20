// JSON-lines logging on stdout through spdlog. Every line is one JSON object:
//   {"timestamp":"2026-11-26T10:00:00.123Z","level":"info","service":"catalog",
//    "request_id":"...","trace_id":"...","message":"..."}
// request_id and trace_id come from the thread's CurrentCall().
//
//   mercato::InitLogging("catalog", "info");
//   spdlog::info("seeded {} products", n);
//
// Never pass card numbers, CVCs, passwords, password hashes or tokens to a log call.
#pragma once

#include <string_view>

#include "common/fmt_absl.h"

namespace mercato {

// Installs the JSON logger as spdlog's default. `level` is a spdlog level name.
void InitLogging(std::string_view service, std::string_view level);

}  // namespace mercato
