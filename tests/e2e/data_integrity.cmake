# Issue 15, data integrity (docs/security.md "Data integrity controls"): each defect's
# regression test against the real binaries, over HTTP through the gateway or gRPC.
function(mercato_data_integrity_test name)
  mercato_test(${name} LABEL e2e ${ARGN}
    LIBS catalog_proto cart_proto payment_proto mercato_rpc PkgConfig::LIBJWT
    NEEDS catalog cart user payment checkout gateway)
endfunction()

# Defect 7: prices are bounded; overflow is a 4xx naming the field, never a 500.
mercato_data_integrity_test(price_bounds_e2e_test SOURCES price_bounds_test.cc)
# Defect 9: one address rule for saved and inline shipping addresses.
mercato_data_integrity_test(shipping_address_e2e_test SOURCES shipping_address_test.cc)
# Defect 8: on hand and held kept apart; an admin edit never makes held units sellable twice.
mercato_data_integrity_test(stock_on_hand_e2e_test SOURCES stock_on_hand_test.cc)
# Defect 12: a cart's contents are ordered once, however many checkouts run at once.
mercato_data_integrity_test(cart_checkout_once_e2e_test SOURCES cart_checkout_once_test.cc)
# Defect 11: kill -9 of the payment service at each step of an authorization; the sweeper.
mercato_data_integrity_test(payment_crash_e2e_test SOURCES payment_crash_test.cc)
