# The services' events on a real Kafka broker (one per binary, started by the Suite with
# .kafka = true): published exactly once per event id and in order per key by the real
# checkout, payment and catalog; consumed by the checkout (payment events) and the catalog
# (its read model); a 30 s broker outage during checkouts.
mercato_test(events_e2e_test LABEL e2e TIMEOUT 600 SOURCES events_e2e_test.cc
  LIBS catalog_proto mercato_rpc mercato_events PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway)
