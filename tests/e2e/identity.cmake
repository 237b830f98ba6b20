# Service identity over real gRPC against every real binary: no service key, no call (every
# RPC of every backend); forged identity metadata, expired or wrongly signed tokens, services
# outside their role, users only from verified access tokens (docs/security.md).
mercato_test(identity_api_e2e_test LABEL e2e SOURCES identity_api_test.cc
  LIBS catalog_proto cart_proto user_proto checkout_proto payment_proto health_proto
       PkgConfig::LIBJWT
  NEEDS catalog cart user checkout payment gateway)
