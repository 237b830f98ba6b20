# Resilience and observability end to end (issue #8), against the real binaries. Label
# "resilience" (not e2e): the fail-fast latencies and rate-limit counts they assert are
# measured, so they run one at a time in their own stage (scripts/test: resilience).
function(mercato_resilience_test name)
  mercato_test(${name} LABEL resilience ${ARGN}
    LIBS catalog_proto payment_proto mercato_rpc PkgConfig::LIBJWT
    NEEDS catalog cart user payment checkout gateway)
  set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
endfunction()

# 1. payment failing: checkout's breaker opens, fails fast, stays off payment, closes again.
mercato_resilience_test(resilience_breaker_e2e_test SOURCES resilience_breaker_test.cc)
# 2. payment stopped under mixed load: browse and cart see no error, checkouts 503 in time.
mercato_resilience_test(resilience_isolation_e2e_test SOURCES resilience_isolation_test.cc)
# 4. rate limits: one client at twice its limit, a second unaffected; sign-in, checkout, user.
mercato_resilience_test(resilience_rate_limit_e2e_test SOURCES resilience_rate_limit_test.cc)
# W3C trace context end to end: one checkout followed by its trace id through the logs.
mercato_resilience_test(observability_trace_e2e_test SOURCES observability_trace_test.cc)
# Catalog down: order history and accounts keep working, browse and cart fail fast.
mercato_resilience_test(resilience_degradation_e2e_test SOURCES resilience_degradation_test.cc)
# Issue 19: payment hung (SIGSTOP) at a shopper's pace and dead (killed), default settings:
# the deadline, the breaker on consecutive failures, stock given back, recovery afterwards.
mercato_resilience_test(resilience_dependency_e2e_test SOURCES resilience_dependency_test.cc)
