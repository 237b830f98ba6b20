-- Orders, their items and their status history. No column holds a card number or CVC: the
-- card goes straight to the payment service; only its brand and last four digits come back.
CREATE TABLE orders (
  id                  uuid PRIMARY KEY,
  -- Keyset position in a user's order list (newest first).
  seq                 bigserial NOT NULL UNIQUE,
  user_id             text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
  idempotency_key     text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  -- The gateway's keyed hash of the request body: a repeat with another body is refused.
  request_fingerprint text NOT NULL CHECK (length(request_fingerprint) BETWEEN 1 AND 128),
  status              text NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  -- The last saga step whose outcome is recorded (see checkout_store.h).
  step                text NOT NULL
                        CHECK (step IN ('priced', 'reserved', 'authorized', 'captured', 'paid',
                                        'failed')),
  item_count          integer NOT NULL DEFAULT 0 CHECK (item_count >= 0),
  currency            text NOT NULL DEFAULT '' CHECK (currency = '' OR currency ~ '^[A-Z]{3}$'),
  subtotal            bigint NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
  shipping            bigint NOT NULL DEFAULT 0 CHECK (shipping >= 0),
  tax                 bigint NOT NULL DEFAULT 0 CHECK (tax >= 0),
  total               bigint NOT NULL DEFAULT 0,
  ship_address_id     text NOT NULL DEFAULT '',
  ship_name           text NOT NULL DEFAULT '',
  ship_line1          text NOT NULL DEFAULT '',
  ship_line2          text NOT NULL DEFAULT '',
  ship_city           text NOT NULL DEFAULT '',
  ship_region         text NOT NULL DEFAULT '',
  ship_postal_code    text NOT NULL DEFAULT '',
  ship_country        text NOT NULL DEFAULT '',
  payment_id          text NOT NULL DEFAULT '',
  card_brand          text NOT NULL DEFAULT '',
  card_last4          text NOT NULL DEFAULT '' CHECK (card_last4 ~ '^([0-9]{4})?$'),
  -- For a failed order: the error a repeat of the request gets again.
  failure_code        text NOT NULL DEFAULT '',
  failure_status      integer NOT NULL DEFAULT 0,
  failure_message     text NOT NULL DEFAULT '',
  -- Who drives the order now (a random token per request or recovery pass) and until when.
  lease_owner         text NOT NULL DEFAULT '',
  lease_until         timestamptz NOT NULL DEFAULT now(),
  recovery_attempts   integer NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  -- One order per user and idempotency key, whatever the code does.
  UNIQUE (user_id, idempotency_key),
  CHECK (total = subtotal + shipping + tax),
  CHECK ((status = 'paid') = (step = 'paid')),
  CHECK ((status = 'failed') = (step = 'failed')),
  CHECK ((status = 'failed') = (failure_code <> '')),
  CHECK (status <> 'paid' OR (payment_id <> '' AND item_count > 0))
);

-- A user's order list, newest first.
CREATE INDEX orders_user_seq_idx ON orders (user_id, seq DESC) WHERE item_count > 0;
-- What recovery scans: pending orders by lease expiry.
CREATE INDEX orders_pending_lease_idx ON orders (lease_until) WHERE status = 'pending';

CREATE TABLE order_items (
  order_id    uuid NOT NULL REFERENCES orders (id),
  line_no     integer NOT NULL CHECK (line_no >= 0),
  product_id  text NOT NULL,
  name        text NOT NULL,
  quantity    integer NOT NULL CHECK (quantity > 0),
  unit_price  bigint NOT NULL CHECK (unit_price >= 0),
  line_total  bigint NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CHECK (line_total = unit_price * quantity)
);

-- Every step an order has reached, with when.
CREATE TABLE order_status_history (
  id         bigserial PRIMARY KEY,
  order_id   uuid NOT NULL REFERENCES orders (id),
  status     text NOT NULL,
  step       text NOT NULL,
  detail     text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

-- The saga only moves forward, and a terminal order never changes: enforced here too, so
-- that a bug or hand-written SQL cannot turn a failed order into a paid one.
CREATE FUNCTION orders_step_rank(step text) RETURNS integer AS $$
  SELECT CASE step WHEN 'priced' THEN 0 WHEN 'reserved' THEN 1 WHEN 'authorized' THEN 2
                   WHEN 'captured' THEN 3 WHEN 'paid' THEN 4 WHEN 'failed' THEN 4 END
$$ LANGUAGE sql IMMUTABLE;

CREATE FUNCTION orders_step_machine() RETURNS trigger AS $$
BEGIN
  IF NEW.step IS DISTINCT FROM OLD.step THEN
    IF OLD.step IN ('paid', 'failed') THEN
      RAISE EXCEPTION 'order is % and cannot become %', OLD.step, NEW.step
        USING ERRCODE = 'check_violation';
    END IF;
    IF orders_step_rank(NEW.step) < orders_step_rank(OLD.step) THEN
      RAISE EXCEPTION 'order step cannot move back from % to %', OLD.step, NEW.step
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.step = 'paid' AND OLD.step = 'priced' THEN
      RAISE EXCEPTION 'an order cannot be paid before its stock is reserved'
        USING ERRCODE = 'check_violation';
    END IF;
  ELSIF OLD.step IN ('paid', 'failed') AND
        (NEW.payment_id, NEW.total, NEW.failure_code) IS DISTINCT FROM
        (OLD.payment_id, OLD.total, OLD.failure_code) THEN
    RAISE EXCEPTION 'a % order cannot change', OLD.step USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_step_machine BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_step_machine();
