mercato_test(inventory_integration_test LABEL integration
  SOURCES inventory_store_test.cc
  LIBS catalog_lib)
mercato_test(inventory_admin_routes_test LABEL integration
  SOURCES inventory_admin_routes_test.cc
  LIBS gateway_lib)
