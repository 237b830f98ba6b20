mercato_test(gateway_unit_test LABEL unit
  SOURCES router_test.cc static_files_test.cc json_codec_test.cc json_fields_test.cc
          openapi_contract_test.cc gateway_orders_test.cc
          gateway_json_writer_test.cc etag_test.cc
  LIBS gateway_lib mercato_commerce)
mercato_test(config_contract_test LABEL unit
  SOURCES config_contract_test.cc
  LIBS gateway_lib catalog_lib)
# The response cache of the catalog reads: LRU bound, versions, freshness, keys, HTTP headers.
mercato_test(response_cache_test LABEL unit
  SOURCES response_cache_test.cc
  LIBS gateway_lib)
