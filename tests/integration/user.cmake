# User service: PostgresUserStore and the service on it, against a real PostgreSQL.
mercato_test(user_store_integration_test LABEL integration
  SOURCES user_store_test.cc
  LIBS user_lib)
