mercato_test(inventory_unit_test LABEL unit
  SOURCES inventory_service_test.cc
  LIBS catalog_lib)
