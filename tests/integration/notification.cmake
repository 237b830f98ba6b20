# Notification service: order events -> emails, against a real PostgreSQL, a real Kafka
# broker, the real SMTP sink (tools/smtp-sink) and a fake user service in-process; the real
# binary killed mid-stream.
mercato_test(notification_integration_test LABEL integration TIMEOUT 600
  SOURCES notification_test.cc notification_crash_test.cc
  LIBS notification_lib
  NEEDS notification)
