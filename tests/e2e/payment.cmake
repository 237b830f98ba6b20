# Payment service: the real binary over gRPC with its own PostgreSQL database.
mercato_test(payment_api_e2e_test LABEL e2e SOURCES payment_api_test.cc
  LIBS payment_proto mercato_rpc NEEDS payment)
