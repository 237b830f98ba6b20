// gRPC and protobuf write their own diagnostics to stderr in their own formats. This routes
// them through spdlog, so every line a Mercato process prints is one JSON object.
// CreateChannel() and GrpcServer::Start() call it; calling it again is harmless.
#pragma once

namespace mercato {

void RouteLibraryLogsToSpdlog();

}  // namespace mercato
