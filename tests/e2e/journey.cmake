# An order's life after payment across the whole shop: both workers, the real broker and a
# real SMTP sink (tools/smtp-sink): shipped, delivered and mailed once per step; a cancel
# before shipping; the workers stopped for a minute during checkouts, then catching up.
mercato_test(order_journey_e2e_test LABEL e2e TIMEOUT 900 SOURCES order_journey_test.cc
  LIBS catalog_proto mercato_rpc PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway fulfillment notification)
