// Prometheus RED metrics for every RPC, as gRPC interceptors:
//   grpc_server_started_total / grpc_server_handled_total{grpc_code} /
//   grpc_server_handling_seconds (histogram), labelled grpc_service and grpc_method;
//   grpc_client_* likewise for outgoing calls.
// GrpcServer and CreateChannel install them; nothing else needs to.
#pragma once

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "metrics/metrics.h"

namespace mercato {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(Metrics& metrics);

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientMetricsInterceptorFactory(Metrics& metrics);

// "OK", "NOT_FOUND", ... as used for the grpc_code label.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace mercato
