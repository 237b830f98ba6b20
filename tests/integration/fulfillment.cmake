# Fulfillment worker against a real PostgreSQL and a real Kafka broker, with a fake checkout
# served in-process: its consumer, carrier and relay in-process (fulfillment_flow_test.cc),
# and the real binary stopped (SIGTERM) and killed (kill -9) mid-stream
# (fulfillment_process_test.cc; its own broker, as each test binary has one).
mercato_test(fulfillment_integration_test LABEL integration TIMEOUT 600
  SOURCES fulfillment_flow_test.cc
  LIBS fulfillment_lib)
mercato_test(fulfillment_process_integration_test LABEL integration TIMEOUT 600
  SOURCES fulfillment_process_test.cc
  LIBS fulfillment_lib
  NEEDS fulfillment)
