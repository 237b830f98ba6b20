# Resilience: circuit breaker and bulkhead logic, per-backend settings, the retry policy's
# idempotent reads, the gateway's rate limits and trusted proxies (rpc/resilience.h,
# gateway/rate_limiter.h, gateway/client_address.h).
mercato_test(resilience_unit_test LABEL unit
  SOURCES resilience_breaker_test.cc resilience_config_test.cc resilience_rate_limit_test.cc
  LIBS gateway_lib payment_proto)
