# The order's life after payment with the real binaries and Kafka: cancel before shipping
# (refund once, stock back, one OrderCancelled), kill -9 of checkout at each cancel step,
# 8 concurrent admin refunds exceeding the capture, who may record fulfillment stages.
mercato_test(order_lifecycle_e2e_test LABEL e2e TIMEOUT 600 SOURCES order_lifecycle_test.cc
  LIBS checkout_proto payment_proto catalog_proto mercato_rpc mercato_events PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway)
