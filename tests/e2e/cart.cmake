# The cart API through the real gateway, cart and catalog binaries (guest cookie, pricing,
# concurrency, validation, signed-in carts, the sign-in merge, Redis going down).
mercato_test(cart_api_e2e_test LABEL e2e SOURCES cart_api_test.cc
  LIBS cart_proto gateway_lib PkgConfig::LIBJWT NEEDS cart catalog gateway)
# The guest cart merging into the shopper's cart at sign-in (gateway + user + cart + catalog).
mercato_test(cart_signin_e2e_test LABEL e2e SOURCES cart_signin_test.cc
  NEEDS cart catalog gateway user)
