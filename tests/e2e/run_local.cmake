# scripts/run-local as a supervisor (issue 19): a killed service restarted with backoff,
# `run-local restart <service>` replacing one process while the gateway keeps answering, SIGTERM
# leaving nothing behind. Python drives the real binaries of this build.
add_test(NAME run_local_supervision_test
  COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/e2e/run_local_test.py --build-dir ${PROJECT_BINARY_DIR})
set_tests_properties(run_local_supervision_test PROPERTIES LABELS resilience TIMEOUT 600)
