#include "rpc/library_logs.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "common/logging.h"

namespace mercato {
namespace {

void GrpcLog(gpr_log_func_args* args) {
  const auto level = args->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::err
                     : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                               : spdlog::level::debug;
  spdlog::log(level, "grpc: {} ({}:{})", args->message, args->file, args->line);
}

void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  const auto spd = level >= google::protobuf::LOGLEVEL_ERROR     ? spdlog::level::err
                   : level == google::protobuf::LOGLEVEL_WARNING ? spdlog::level::warn
                                                                 : spdlog::level::info;
  spdlog::log(spd, "protobuf: {} ({}:{})", message, file, line);
}

}  // namespace

void RouteLibraryLogsToSpdlog() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function(GrpcLog);
    google::protobuf::SetLogHandler(ProtobufLog);
  });
}

}  // namespace mercato
