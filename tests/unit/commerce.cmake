# Shared business rules (libs/commerce): the postal-address rule of saved and inline
# addresses, and the bounds on money.
mercato_test(commerce_unit_test LABEL unit SOURCES commerce_rules_test.cc LIBS mercato_commerce)
