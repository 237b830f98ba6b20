# The gateway's HTTP/1.1 request reading (limits, Transfer-Encoding framing), the /readyz
# cache and the signed guest cart cookie.
mercato_test(gateway_http_unit_test LABEL unit
  SOURCES http_request_reader_test.cc readiness_cache_test.cc cart_cookie_signing_test.cc
  LIBS gateway_lib)
