-- The transactional outbox (libs/events/outbox.h): events written in the same transaction as
-- the state change they describe, published to Kafka by the OutboxRelay after the commit.
-- Added to a producing service's migrations with events::OutboxMigration(<version>); never
-- edited once released (a change is a new migration).
CREATE TABLE outbox (
  -- Publication order: the relay publishes unsent rows by id. Rows of one aggregate get
  -- increasing ids because the service appends its event after the statement that changes
  -- (and locks) the aggregate's row.
  id             bigserial PRIMARY KEY,
  event_id       uuid NOT NULL UNIQUE,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  topic          text NOT NULL,
  key            text NOT NULL,
  event_type     text NOT NULL,
  traceparent    text NOT NULL DEFAULT '',
  -- The serialized mercato.events.v1.Envelope: the Kafka record's value.
  payload        bytea NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- Set once the broker acknowledged the record; NULL while it waits.
  sent_at        timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text
);
-- What the relay reads (and outbox_pending counts): the unsent rows, in order.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
-- What the retention sweeper deletes.
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
