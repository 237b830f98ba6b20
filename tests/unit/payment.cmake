# Payment service: card checks, state machine, service logic over an in-memory store, config.
mercato_test(payment_unit_test LABEL unit
  SOURCES payment_card_test.cc payment_config_test.cc payment_service_test.cc
          payment_state_test.cc
  LIBS payment_lib)
