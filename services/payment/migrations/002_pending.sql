-- Pending payments (issue 15, defect 11). The processor used to be called inside the
-- transaction that inserted the payment: a crash, or a commit later than checkout's payment
-- grace, left an authorization at the processor that no row recorded and nothing voided.
-- Now a payment is inserted and committed as 'pending' first, the processor is asked, and its
-- answer is recorded (pending -> authorized / declined). A payment left pending (a crash, an
-- unreachable processor) or authorized and never captured is voided by checkout's recovery or,
-- past MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S, by the service's own sweeper.
ALTER TABLE payments DROP CONSTRAINT payments_state_check;
ALTER TABLE payments ADD CONSTRAINT payments_state_check
  CHECK (state IN ('pending', 'authorized', 'captured', 'refunded', 'voided', 'declined'));

-- What the sweeper scans: payments still open to a void, by age.
CREATE INDEX payments_open_created_idx ON payments (created_at)
  WHERE state IN ('pending', 'authorized');

CREATE OR REPLACE FUNCTION payments_state_machine() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- authorized / declined: rows written by a version before this migration.
    IF NEW.state NOT IN ('pending', 'authorized', 'declined') THEN
      RAISE EXCEPTION 'a payment cannot start in state %', NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT ((OLD.state = 'pending' AND NEW.state IN ('authorized', 'declined', 'voided')) OR
            (OLD.state = 'authorized' AND NEW.state IN ('captured', 'voided')) OR
            (OLD.state = 'captured' AND NEW.state = 'refunded')) THEN
      RAISE EXCEPTION 'a payment in state % cannot become %', OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

-- The sandbox processor's own ledger (sandbox_card_processor.h). A real processor keeps its
-- authorizations in its own systems, out of reach of our transactions and crashes; the
-- sandbox keeps them here, written outside the payment's transactions, so that tests can see
-- what it was asked and that every authorization it made ends captured, refunded or voided.
CREATE TABLE sandbox_authorizations (
  reference       text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  state           text NOT NULL
                    CHECK (state IN ('authorized', 'declined', 'captured', 'refunded', 'voided')),
  amount          bigint NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A payment is declined by an update now (pending -> declined): its history row keeps the
-- decline code as the insert's did.
CREATE OR REPLACE FUNCTION payments_record_event() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO payment_events (payment_id, from_state, to_state, decline_code)
      VALUES (NEW.id, NULL, NEW.state, NEW.decline_code);
  ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
    INSERT INTO payment_events (payment_id, from_state, to_state, decline_code)
      VALUES (NEW.id, OLD.state, NEW.state, NEW.decline_code);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
