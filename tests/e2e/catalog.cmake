mercato_test(catalog_api_e2e_test LABEL e2e SOURCES catalog_api_test.cc NEEDS catalog gateway)
