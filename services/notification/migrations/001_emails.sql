-- One row per order event that calls for an email, keyed by the event id: the email is
-- rendered (the whole RFC 5322 message) in the transaction that records the event in the
-- inbox, and the sender loop moves it along
--   queued -> sending -> sent
--                     -> queued (a transient failure: next_attempt_at later)
--                     -> failed (refused permanently, 5xx, after a few attempts)
--                     -> unknown (the sender died or lost the server mid-send; never resent)
CREATE TABLE emails (
  event_id        uuid PRIMARY KEY,
  kind            text NOT NULL,
  order_id        text NOT NULL,
  recipient       text NOT NULL,
  message         text NOT NULL,
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_at      timestamptz,
  last_error      text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The sender's scan: queued emails that are due.
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'queued';
-- The stale-claim sweep.
CREATE INDEX emails_sending ON emails (claimed_at) WHERE status = 'sending';
-- The retention sweep of finished emails.
CREATE INDEX emails_finished ON emails (updated_at) WHERE status IN ('sent', 'failed', 'unknown');
