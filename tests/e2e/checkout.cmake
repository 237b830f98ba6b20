# Checkout through the real gateway and every service behind it (catalog, cart, user,
# checkout, payment) with a real PostgreSQL and Redis: overselling, idempotency, declines,
# validation, ownership, metrics, no card numbers stored or logged.
mercato_test(checkout_api_e2e_test LABEL e2e SOURCES checkout_api_test.cc
  LIBS catalog_proto mercato_rpc PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway)
# kill -9 of checkout and payment under load, recovery at every crash point, reservation expiry.
mercato_test(checkout_crash_e2e_test LABEL e2e SOURCES checkout_crash_test.cc
  LIBS catalog_proto payment_proto mercato_rpc PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway)
