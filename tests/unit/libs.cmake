mercato_test(libs_unit_test LABEL unit
  SOURCES config_test.cc status_test.cc call_context_test.cc executor_test.cc logging_test.cc
    memory_trim_test.cc
  LIBS mercato_common mercato_rpc)
# Who is calling (rpc/call_auth.h): metadata to CallContext, the handler checks, and the
# identity outgoing calls carry.
mercato_test(rpc_call_auth_test LABEL unit
  SOURCES rpc_call_auth_test.cc
  LIBS mercato_rpc)
