# The event backbone against a real PostgreSQL and a real Kafka broker (one broker for the
# binary: its JVM takes seconds to start). events_relay_runner is the relay process the kill -9
# test starts and kills.
add_executable(events_relay_runner events_relay_runner.cc)
target_link_libraries(events_relay_runner PRIVATE mercato_events)

mercato_test(events_integration_test LABEL integration TIMEOUT 600
  SOURCES events_relay_test.cc events_consumer_test.cc
  LIBS mercato_events
  NEEDS events_relay_runner)
target_compile_definitions(events_integration_test PRIVATE
  MERCATO_EVENTS_RELAY_RUNNER="$<TARGET_FILE:events_relay_runner>")
