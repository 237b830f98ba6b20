mercato_test(libs_unit_test LABEL unit
  SOURCES config_test.cc status_test.cc call_context_test.cc executor_test.cc logging_test.cc
  LIBS mercato_common mercato_rpc)
