// gRPC interceptors. Prometheus RED metrics for every RPC:
//   grpc_server_started_total / grpc_server_handled_total{grpc_code} /
//   grpc_server_handling_seconds (histogram), labelled grpc_service and grpc_method;
//   grpc_client_* likewise for outgoing calls.
// And the service token on every outgoing call (x-mercato-service-token).
// GrpcServer and CreateChannel install them; nothing else needs to.
#pragma once

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "auth/service_token.h"
#include "metrics/metrics.h"

namespace mercato {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(Metrics& metrics);

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientMetricsInterceptorFactory(Metrics& metrics);

// Adds this service's token for `audience` to every call's metadata (minted and reused by
// `minter`). A token that cannot be minted is logged and the call goes without it.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewServiceTokenInterceptorFactory(std::shared_ptr<auth::ServiceTokenMinter> minter,
                                  std::string audience);

// "OK", "NOT_FOUND", ... as used for the grpc_code label.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace mercato
