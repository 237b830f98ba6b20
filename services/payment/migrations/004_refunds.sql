-- Partial refunds (issue 14). A captured payment is refunded by one or more refunds, each
-- with its own idempotency key (unique per payment), until they add up to the captured
-- amount: captured -> partially_refunded -> refunded. payments.refunded_amount is the sum of
-- the payment's refunds, kept by the service in the transaction that inserts each refund,
-- with the payment's row locked (SELECT ... FOR UPDATE), so concurrent refunds queue and the
-- constraints below can never be broken by them.
ALTER TABLE payments DROP CONSTRAINT payments_state_check;
ALTER TABLE payments ADD CONSTRAINT payments_state_check
  CHECK (state IN ('pending', 'authorized', 'captured', 'partially_refunded', 'refunded',
                   'voided', 'declined'));

ALTER TABLE payments ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0;

CREATE TABLE refunds (
  id              bigserial PRIMARY KEY,
  payment_id      uuid NOT NULL REFERENCES payments (id),
  -- The caller's key; 'full' for the whole refund checkout's saga asks for (no key).
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  amount          bigint NOT NULL CHECK (amount > 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (payment_id, idempotency_key)
);

-- Payments refunded before this migration were refunded whole, by the saga's call: their
-- refund is recorded as the 'full' one it would be now, so that a repeat still replays it.
-- (The state machine trigger ignores these updates: the state does not change.)
INSERT INTO refunds (payment_id, idempotency_key, amount, created_at)
  SELECT id, 'full', amount, updated_at FROM payments WHERE state = 'refunded';
UPDATE payments SET refunded_amount = amount WHERE state = 'refunded';

-- Never more refunded than captured, whatever the code does; and the state says how much.
ALTER TABLE payments ADD CONSTRAINT payments_refunded_amount_check
  CHECK (refunded_amount >= 0 AND refunded_amount <= amount);
ALTER TABLE payments ADD CONSTRAINT payments_refunded_state_check
  CHECK (CASE state
           WHEN 'refunded' THEN refunded_amount = amount
           WHEN 'partially_refunded' THEN refunded_amount > 0 AND refunded_amount < amount
           ELSE refunded_amount = 0
         END);

CREATE OR REPLACE FUNCTION payments_state_machine() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- authorized / declined: rows written by a version before migration 002.
    IF NEW.state NOT IN ('pending', 'authorized', 'declined') THEN
      RAISE EXCEPTION 'a payment cannot start in state %', NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
  ELSE
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
         (OLD.state = 'pending' AND NEW.state IN ('authorized', 'declined', 'voided')) OR
         (OLD.state = 'authorized' AND NEW.state IN ('captured', 'voided')) OR
         (OLD.state = 'captured' AND NEW.state IN ('partially_refunded', 'refunded')) OR
         (OLD.state = 'partially_refunded' AND NEW.state = 'refunded')) THEN
      RAISE EXCEPTION 'a payment in state % cannot become %', OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    -- Refunds are never taken back.
    IF NEW.refunded_amount < OLD.refunded_amount THEN
      RAISE EXCEPTION 'a payment''s refunded amount cannot shrink'
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state OR NEW.refunded_amount <> OLD.refunded_amount THEN
      NEW.updated_at := now();
    END IF;
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

-- The sandbox processor refunds in part too, idempotently per (authorization, refund key).
ALTER TABLE sandbox_authorizations DROP CONSTRAINT sandbox_authorizations_state_check;
ALTER TABLE sandbox_authorizations ADD CONSTRAINT sandbox_authorizations_state_check
  CHECK (state IN ('authorized', 'declined', 'captured', 'partially_refunded', 'refunded',
                   'voided'));
ALTER TABLE sandbox_authorizations ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
UPDATE sandbox_authorizations SET refunded = amount WHERE state = 'refunded';
ALTER TABLE sandbox_authorizations ADD CONSTRAINT sandbox_authorizations_refunded_check
  CHECK (refunded >= 0 AND refunded <= amount);

CREATE TABLE sandbox_refunds (
  reference  text NOT NULL REFERENCES sandbox_authorizations (reference),
  refund_key text NOT NULL,
  amount     bigint NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reference, refund_key)
);
