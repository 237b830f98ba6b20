# Accounts and authentication through the real gateway and user binaries.
mercato_test(user_api_e2e_test LABEL e2e SOURCES user_api_test.cc
  LIBS user_lib NEEDS user gateway)
