# The fulfillment worker in the whole shop (real binaries, a real broker): a checkout through
# the gateway is shipped and delivered, and the order's timeline shows it. Needs checkout's
# RecordFulfillment (branch checkout-lifecycle of issue 14) and the gateway's order timeline
# (branch gateway-orders).
mercato_test(fulfillment_e2e_test LABEL e2e TIMEOUT 600 SOURCES fulfillment_e2e_test.cc
  LIBS catalog_proto mercato_rpc mercato_events PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway fulfillment)
