# Checkout: PostgresCheckoutStore against a real PostgreSQL (one order per key under
# concurrency, lease fencing, non-overlapping claims, the database's step guard, listing),
# and the saga on it with simulated dependencies.
mercato_test(checkout_store_integration_test LABEL integration
  SOURCES checkout_store_test.cc
  LIBS checkout_lib)
# The gateway's checkout routes against in-process fake checkout and user gRPC servers.
mercato_test(checkout_routes_integration_test LABEL integration
  SOURCES checkout_routes_test.cc
  LIBS gateway_lib)
