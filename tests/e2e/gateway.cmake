# The gateway's HTTP/1.1 reading over raw sockets: memory and bytes per request bounded,
# request framing (Transfer-Encoding), protocol errors logged and counted.
mercato_test(gateway_http_e2e_test LABEL e2e SOURCES gateway_http_test.cc NEEDS gateway)
