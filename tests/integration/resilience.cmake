# Resilience of outgoing gRPC calls (rpc/resilience.h) against a real gRPC server in the test
# process: retries, circuit breaker (sync and callback stubs), bulkhead, health checks.
mercato_test(resilience_grpc_integration_test LABEL integration
  SOURCES resilience_grpc_test.cc
  LIBS mercato_rpc catalog_proto health_proto)
