-- What the payment service published about each order's payment (mercato.payments.v1),
-- recorded by the checkout's consumer group "checkout.payments" exactly once per event: the
-- row is written in the transaction that records the event id in the inbox (migration 004).
CREATE TABLE order_payment_events (
  event_id    text PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders (id),
  payment_id  text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('authorized', 'captured', 'voided')),
  amount      bigint NOT NULL,
  currency    text NOT NULL,
  detail      text NOT NULL DEFAULT '',
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_payment_events_by_order ON order_payment_events (order_id, occurred_at);
