mercato_test(catalog_integration_test LABEL integration
  SOURCES catalog_store_test.cc
  LIBS catalog_lib)
# The catalog store's outbox appends (ProductChanged, StockChanged) against a real PostgreSQL.
mercato_test(catalog_events_integration_test LABEL integration
  SOURCES catalog_events_test.cc
  LIBS catalog_lib)
