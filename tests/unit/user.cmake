# User service: input rules, password hashing, access tokens (issued by the user service,
# verified by the gateway), the service logic over an in-memory store, its config, and the
# gateway's account routes over a gMock user stub.
mercato_test(user_unit_test LABEL unit
  SOURCES user_rules_test.cc user_token_test.cc user_service_test.cc user_config_test.cc
          user_gateway_routes_test.cc
  LIBS user_lib gateway_lib)
