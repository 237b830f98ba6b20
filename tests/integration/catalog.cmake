mercato_test(catalog_integration_test LABEL integration
  SOURCES catalog_store_test.cc
  LIBS catalog_lib)
