# Fulfillment worker: shipment rules (carrier allocation, tracking numbers, states, checkout's
# answers) and its configuration's contract with deploy/services.json.
mercato_test(fulfillment_unit_test LABEL unit
  SOURCES fulfillment_rules_test.cc fulfillment_config_test.cc
  LIBS fulfillment_lib)
