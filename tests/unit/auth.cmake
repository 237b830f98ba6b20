# Identity (libs/auth): ES256 keys and the key variables, service tokens (minting, reuse, what
# a callee accepts) and the verified-token cache.
mercato_test(auth_unit_test LABEL unit
  SOURCES auth_keys_test.cc auth_service_token_test.cc
  LIBS mercato_auth PkgConfig::LIBJWT PkgConfig::SODIUM)
