# Inventory and the admin product API through the real gateway, catalog and user binaries.
mercato_test(inventory_api_e2e_test LABEL e2e SOURCES inventory_api_test.cc
  LIBS catalog_proto mercato_rpc NEEDS catalog gateway user)
