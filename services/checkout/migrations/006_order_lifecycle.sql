-- The order's life after payment (issue 14, docs/orders.md): fulfillment stages, the
-- shopper's cancellation, admin refunds, and the shopper-visible timeline.
--
-- status is what the shopper sees; step stays the saga's ('paid' for every order past
-- payment); stage is how far the shipment got, kept apart from status so that a partially
-- refunded order can still ship.

-- The checks of migration 001 that tied status to step: replaced below.
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = 'orders'::regclass AND contype = 'c'
             AND pg_get_constraintdef(oid) LIKE '%status%'
  LOOP
    EXECUTE format('ALTER TABLE orders DROP CONSTRAINT %I', c.conname);
  END LOOP;
END
$$;

ALTER TABLE orders
  ADD COLUMN stage text NOT NULL DEFAULT 'none'
    CHECK (stage IN ('none', 'fulfilling', 'shipped', 'delivered')),
  -- The sum of the completed refunds (cancellation's included).
  ADD COLUMN refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
  -- The sum of every refund started and not failed (completed or in flight): what a new
  -- refund is checked against, under the order's row lock, so that concurrent refunds never
  -- exceed the capture.
  ADD COLUMN refund_reserved bigint NOT NULL DEFAULT 0 CHECK (refund_reserved >= 0),
  -- The cancellation's progress: requested (CANCELLING recorded) -> refunded (payment
  -- refunded) -> returned (stock back); CANCELLED when done.
  ADD COLUMN cancel_step text NOT NULL DEFAULT ''
    CHECK (cancel_step IN ('', 'requested', 'refunded', 'returned')),
  -- What the cancellation refunds (what was captured and not yet refunded when it started).
  ADD COLUMN cancel_amount bigint NOT NULL DEFAULT 0 CHECK (cancel_amount >= 0),
  -- Until when the request that started the cancellation (or a recovery pass) drives it.
  ADD COLUMN cancel_lease_until timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT orders_status_known CHECK (status IN (
    'pending', 'paid', 'failed', 'fulfilling', 'shipped', 'delivered', 'cancelling',
    'cancelled', 'refunded', 'partially_refunded')),
  ADD CONSTRAINT orders_status_pending CHECK ((status = 'pending') = (step NOT IN ('paid', 'failed'))),
  ADD CONSTRAINT orders_status_failed CHECK ((status = 'failed') = (step = 'failed')),
  ADD CONSTRAINT orders_failure_code CHECK ((status = 'failed') = (failure_code <> '')),
  ADD CONSTRAINT orders_paid_has_payment CHECK (step <> 'paid' OR (payment_id <> '' AND item_count > 0)),
  ADD CONSTRAINT orders_refunds_within_capture CHECK (refunded <= refund_reserved AND refund_reserved <= total),
  ADD CONSTRAINT orders_stage_after_payment CHECK (stage = 'none' OR step = 'paid'),
  -- The shipment-named statuses are the stage itself; cancelled orders never shipped.
  ADD CONSTRAINT orders_stage_status CHECK (
    (status <> 'paid' OR stage = 'none') AND
    (status <> 'fulfilling' OR stage = 'fulfilling') AND
    (status <> 'shipped' OR stage = 'shipped') AND
    (status <> 'delivered' OR stage = 'delivered') AND
    (status NOT IN ('cancelling', 'cancelled') OR stage IN ('none', 'fulfilling'))),
  ADD CONSTRAINT orders_refund_status CHECK (
    (status <> 'refunded' OR refunded = total) AND
    (status <> 'partially_refunded' OR (refunded > 0 AND refunded < total))),
  ADD CONSTRAINT orders_cancel_step CHECK ((cancel_step = '') = (status NOT IN ('cancelling', 'cancelled'))),
  ADD CONSTRAINT orders_cancel_amount CHECK (cancel_amount = 0 OR cancel_step <> '');

-- What recovery scans: cancellations by lease expiry.
CREATE INDEX orders_cancelling_lease_idx ON orders (cancel_lease_until) WHERE status = 'cancelling';

-- Per line, how many units were refunded (line refunds), never more than were ordered.
ALTER TABLE order_items ADD COLUMN refunded_quantity integer NOT NULL DEFAULT 0
  CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity);

-- The shopper-visible states an order reached (not the saga's internal steps: those are in
-- order_status_history).
CREATE TABLE order_timeline (
  id              bigserial PRIMARY KEY,
  order_id        uuid NOT NULL REFERENCES orders (id),
  status          text NOT NULL CHECK (status IN ('paid', 'fulfilling', 'shipped', 'delivered',
                                                  'cancelling', 'cancelled', 'refunded',
                                                  'partially_refunded')),
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  carrier         text NOT NULL DEFAULT '' CHECK (length(carrier) <= 64),
  tracking_number text NOT NULL DEFAULT '' CHECK (length(tracking_number) <= 64),
  amount          bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
  CHECK (status = 'shipped' OR (carrier = '' AND tracking_number = ''))
);
CREATE INDEX order_timeline_order_idx ON order_timeline (order_id, id);

-- The orders paid before this migration start their timeline with PAID.
INSERT INTO order_timeline (order_id, status, at)
  SELECT id, 'paid', updated_at FROM orders WHERE status = 'paid';

-- Admin refunds, one per (order, idempotency key). A refund is reserved ('pending', its
-- amount added to orders.refund_reserved under the order's row lock) before the payment
-- service is asked, then 'completed' (orders.refunded) or 'failed' (its reservation given
-- back).
CREATE TABLE order_refunds (
  order_id        uuid NOT NULL REFERENCES orders (id),
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  -- The request in canonical form ("all", "amount:500", "lines:<product>x2,..."): a repeat
  -- of the key with another request is refused.
  fingerprint     text NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  state           text NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
  failure_code    text NOT NULL DEFAULT '',
  lease_until     timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, idempotency_key),
  CHECK ((state = 'failed') = (failure_code <> ''))
);
CREATE INDEX order_refunds_pending_idx ON order_refunds (lease_until) WHERE state = 'pending';

-- The lines of a line refund.
CREATE TABLE order_refund_lines (
  order_id        uuid NOT NULL,
  idempotency_key text NOT NULL,
  product_id      text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  amount          bigint NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (order_id, idempotency_key, product_id),
  FOREIGN KEY (order_id, idempotency_key) REFERENCES order_refunds (order_id, idempotency_key)
);

-- The step machine, extended: the saga's steps as before (only forward; a failed order never
-- changes); after payment, the status moves only along the lifecycle's edges, the stage only
-- forward one at a time, a cancellation only forward, and the refunded sums never shrink.
CREATE FUNCTION orders_status_edge_allowed(old_status text, new_status text) RETURNS boolean AS $$
  SELECT old_status = new_status OR CASE old_status
    WHEN 'pending' THEN new_status IN ('paid', 'failed')
    WHEN 'paid' THEN new_status IN ('fulfilling', 'cancelling', 'refunded', 'partially_refunded')
    WHEN 'fulfilling' THEN new_status IN ('shipped', 'cancelling', 'refunded', 'partially_refunded')
    WHEN 'shipped' THEN new_status IN ('delivered', 'refunded', 'partially_refunded')
    WHEN 'delivered' THEN new_status IN ('refunded', 'partially_refunded')
    WHEN 'partially_refunded' THEN new_status IN ('refunded', 'cancelling')
    WHEN 'cancelling' THEN new_status = 'cancelled'
    ELSE false
  END
$$ LANGUAGE sql IMMUTABLE;

CREATE FUNCTION orders_rank_of(kind text, value text) RETURNS integer AS $$
  SELECT CASE kind
    WHEN 'stage' THEN array_position(ARRAY['none', 'fulfilling', 'shipped', 'delivered'], value)
    ELSE array_position(ARRAY['', 'requested', 'refunded', 'returned'], value)
  END
$$ LANGUAGE sql IMMUTABLE;

CREATE FUNCTION orders_lifecycle_machine() RETURNS trigger AS $$
BEGIN
  IF NOT orders_status_edge_allowed(OLD.status, NEW.status) THEN
    RAISE EXCEPTION 'order status cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.stage IS DISTINCT FROM OLD.stage AND
     orders_rank_of('stage', NEW.stage) <> orders_rank_of('stage', OLD.stage) + 1 THEN
    RAISE EXCEPTION 'order stage cannot move from % to %', OLD.stage, NEW.stage
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.stage IN ('fulfilling', 'shipped') AND NEW.stage IS DISTINCT FROM OLD.stage AND
     OLD.status IN ('cancelling', 'cancelled', 'refunded') THEN
    RAISE EXCEPTION 'a % order cannot become %', OLD.status, NEW.stage
      USING ERRCODE = 'check_violation';
  END IF;
  IF orders_rank_of('cancel', NEW.cancel_step) < orders_rank_of('cancel', OLD.cancel_step) OR
     NEW.refunded < OLD.refunded OR
     (OLD.cancel_step <> '' AND NEW.cancel_amount <> OLD.cancel_amount) THEN
    RAISE EXCEPTION 'an order''s cancellation and refunds only move forward'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

-- The saga's own trigger (001) refuses any change of step or payment of a paid order; the
-- lifecycle changes neither, so both run, the saga's first (triggers fire in name order), so
-- that a saga move keeps its own message.
CREATE TRIGGER orders_step_machine_lifecycle BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_lifecycle_machine();

-- The payment service's refunds (PaymentRefunded) are recorded against the order too.
ALTER TABLE order_payment_events DROP CONSTRAINT order_payment_events_kind_check;
ALTER TABLE order_payment_events ADD CONSTRAINT order_payment_events_kind_check
  CHECK (kind IN ('authorized', 'captured', 'voided', 'refunded'));
