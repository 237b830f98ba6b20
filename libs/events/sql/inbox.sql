-- The inbox of a consuming service (libs/events/consumer.h): the events each consumer group
-- has applied, written in the same transaction as the effect, so that an event delivered
-- again (Kafka delivers at least once) changes nothing. Added with
-- events::InboxMigration(<version>); never edited once released.
CREATE TABLE inbox (
  consumer_group text NOT NULL,
  event_id       uuid NOT NULL,
  topic          text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset   bigint NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
-- What the retention sweeper deletes.
CREATE INDEX inbox_processed_at ON inbox (processed_at);
