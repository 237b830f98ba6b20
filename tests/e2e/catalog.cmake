mercato_test(catalog_api_e2e_test LABEL e2e SOURCES catalog_api_test.cc NEEDS catalog gateway)
# The gateway's response cache: two gateway replicas in front of one catalog.
mercato_test(catalog_cache_e2e_test LABEL e2e SOURCES catalog_cache_test.cc
  LIBS catalog_proto mercato_rpc NEEDS catalog gateway)
# The catalog's raw ListProducts (serialized page cache) against the typed logic in-process.
mercato_test(catalog_grpc_list_e2e_test LABEL e2e SOURCES catalog_grpc_list_test.cc
  LIBS catalog_lib NEEDS catalog)
