# Notification service: templates, escaping, money, MIME structure, the sender's decisions
# over fakes, config. The sink helper's parser (support/smtp_sink.h) reads the messages.
mercato_test(notification_unit_test LABEL unit
  SOURCES notification_config_test.cc notification_email_test.cc notification_sender_test.cc
  LIBS notification_lib)
