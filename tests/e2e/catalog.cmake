mercato_test(catalog_api_e2e_test LABEL e2e SOURCES catalog_api_test.cc NEEDS catalog gateway)
# The gateway's response cache: two gateway replicas in front of one catalog.
mercato_test(catalog_cache_e2e_test LABEL e2e SOURCES catalog_cache_test.cc
  LIBS catalog_proto mercato_rpc NEEDS catalog gateway)
