# Cart: the service's logic (fake store, gMock catalog), its rules and configuration, the
# Redis URL parser, and the gateway's cookie parser and guest-cart merge hook.
mercato_test(cart_service_test LABEL unit SOURCES cart_service_test.cc LIBS cart_lib)
mercato_test(cart_rules_test LABEL unit SOURCES cart_rules_test.cc LIBS cart_lib)
mercato_test(cart_cookie_test LABEL unit SOURCES cart_cookie_test.cc LIBS gateway_lib)
mercato_test(cart_merge_hook_test LABEL unit SOURCES cart_merge_hook_test.cc LIBS gateway_lib)
