mercato_test(catalog_unit_test LABEL unit
  SOURCES page_token_test.cc product_cache_test.cc catalog_service_test.cc
    list_page_cache_test.cc catalog_raw_list_test.cc
  LIBS catalog_lib)
