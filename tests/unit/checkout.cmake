# Checkout: pricing and totals, configuration (and its contract with deploy/services.json),
# the order saga and its recovery over an in-memory store and a simulated catalog / cart /
# payment behind gMock stubs, the service's handlers (who may call what), the rules of the
# order's life after payment (cancel, refund, fulfillment stages).
mercato_test(checkout_unit_test LABEL unit
  SOURCES checkout_pricing_test.cc checkout_config_test.cc checkout_saga_test.cc
          checkout_service_test.cc checkout_lifecycle_rules_test.cc
  LIBS checkout_lib)
