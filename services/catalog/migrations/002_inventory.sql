-- Stock reservations (issue #4). Checkout reserves the stock of an order before charging,
-- then commits the reservation (the stock is sold) or releases it (the stock goes back). A
-- reservation still held at expires_at is expired by ReservationExpirySweeper, which
-- returns its stock. Reserved quantities are taken out of products.stock at once, so
-- products.stock is always "available now" and its CHECK (stock >= 0) guards against
-- overselling whatever the code does.
CREATE TABLE reservations (
  -- Chosen by the caller (checkout uses the order id): the idempotency key.
  id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  state      text NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What the sweeper scans: held reservations by expiry.
CREATE INDEX reservations_held_expiry_idx ON reservations (expires_at) WHERE state = 'held';

-- One row per product of a reservation (duplicate product ids of a request are merged).
-- A release of an id never reserved is recorded as a reservation without items (a
-- tombstone), so that a late ReserveStock with that id is refused.
CREATE TABLE reservation_items (
  reservation_id text NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
  product_id     uuid NOT NULL REFERENCES products (id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (reservation_id, product_id)
);

CREATE INDEX reservation_items_product_idx ON reservation_items (product_id);
