mercato_test(db_integration_test LABEL integration
  SOURCES pg_pool_test.cc migrations_test.cc
  LIBS mercato_db)
