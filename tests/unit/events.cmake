mercato_test(events_unit_test LABEL unit
  SOURCES events_contracts_test.cc events_mock_cluster_test.cc
  LIBS mercato_events)
