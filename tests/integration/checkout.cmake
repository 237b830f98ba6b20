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
# Checkout: the order's life after payment on a real PostgreSQL with simulated payment and
# catalog: cancel (and its recovery after a failure at each step), refunds (idempotent, per
# line, 8 concurrent refunds exceeding the capture), fulfillment stages, cancel racing ship.
mercato_test(checkout_lifecycle_integration_test LABEL integration
  SOURCES checkout_lifecycle_test.cc
  LIBS checkout_lib)
