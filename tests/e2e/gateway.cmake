# The gateway's HTTP/1.1 reading over raw sockets: memory and bytes per request bounded,
# request framing (Transfer-Encoding), protocol errors logged and counted.
mercato_test(gateway_http_e2e_test LABEL e2e SOURCES gateway_http_test.cc NEEDS gateway)
# The order lifecycle's routes through the real gateway and every service behind it: the
# order's timeline / cancellable / refunded, and the cancel and refund routes' 401 / 403 / 400.
mercato_test(gateway_orders_e2e_test LABEL e2e SOURCES gateway_orders_api_test.cc
  LIBS catalog_proto mercato_rpc PkgConfig::LIBJWT
  NEEDS catalog cart user payment checkout gateway)
