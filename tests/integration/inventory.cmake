mercato_test(inventory_integration_test LABEL integration
  SOURCES inventory_store_test.cc
  LIBS catalog_lib)
