# Payment service: PostgresPaymentStore and the service on it, against a real PostgreSQL.
mercato_test(payment_store_integration_test LABEL integration
  SOURCES payment_store_test.cc
  LIBS payment_lib)
