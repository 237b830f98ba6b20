-- Payments and their history. No column holds a card number or CVC: only the brand, the last
-- four digits and a keyed fingerprint (HMAC-SHA-256, see card.h) of number + amount + currency.
CREATE TABLE payments (
  id                  uuid PRIMARY KEY,
  -- One payment per key, whatever the code does: concurrent authorizations with one key
  -- cannot both insert.
  idempotency_key     text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  fingerprint         text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  state               text NOT NULL
                        CHECK (state IN ('authorized', 'captured', 'refunded', 'voided',
                                         'declined')),
  amount              bigint NOT NULL CHECK (amount > 0),
  currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  card_brand          text NOT NULL
                        CHECK (card_brand IN ('visa', 'mastercard', 'amex', 'discover',
                                              'unknown')),
  card_last4          char(4) NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
  -- Set exactly when declined.
  decline_code        text NOT NULL DEFAULT ''
                        CHECK ((state = 'declined') = (decline_code <> '')),
  processor_reference text NOT NULL DEFAULT '',
  order_id            text NOT NULL DEFAULT '' CHECK (length(order_id) <= 255),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payments_order_idx ON payments (order_id) WHERE order_id <> '';

-- Every state a payment has been in, with when it got there.
CREATE TABLE payment_events (
  id           bigserial PRIMARY KEY,
  payment_id   uuid NOT NULL REFERENCES payments (id),
  -- NULL for the initial state (authorized or declined).
  from_state   text,
  to_state     text NOT NULL,
  decline_code text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, id);

-- The state machine, enforced by the database too: a payment starts authorized or declined
-- and only moves authorized -> captured -> refunded or authorized -> voided. The service
-- moves with UPDATE ... WHERE state = <source>; this catches anything else (bugs, hand-written
-- SQL) with a check_violation.
CREATE FUNCTION payments_state_machine() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state NOT IN ('authorized', 'declined') THEN
      RAISE EXCEPTION 'a payment cannot start in state %', NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT ((OLD.state = 'authorized' AND NEW.state IN ('captured', 'voided')) OR
            (OLD.state = 'captured' AND NEW.state = 'refunded')) THEN
      RAISE EXCEPTION 'a payment in state % cannot become %', OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_state_machine BEFORE INSERT OR UPDATE ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_state_machine();

-- History is written by the database, in the transaction that changes the state, so no
-- state change can go unrecorded.
CREATE FUNCTION payments_record_event() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO payment_events (payment_id, from_state, to_state, decline_code)
      VALUES (NEW.id, NULL, NEW.state, NEW.decline_code);
  ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
    INSERT INTO payment_events (payment_id, from_state, to_state)
      VALUES (NEW.id, OLD.state, NEW.state);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_record_event AFTER INSERT OR UPDATE ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_record_event();
