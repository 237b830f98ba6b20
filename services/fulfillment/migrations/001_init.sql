-- Shipments: one per paid order (the OrderPaid event creates it), advanced by the simulated
-- carrier: created -> packing -> shipped -> delivered, or cancelled before it ships.
CREATE TABLE shipments (
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL UNIQUE,
  user_id text NOT NULL,
  state text NOT NULL
    CHECK (state IN ('created', 'packing', 'shipped', 'delivered', 'cancelled')),
  -- Chosen (and stored) before SHIPPED is recorded with checkout, so a repeat reuses them.
  carrier text,
  tracking_number text UNIQUE,
  -- Failed steps in a row (the retry backoff); 0 after each step that succeeded.
  attempts integer NOT NULL DEFAULT 0,
  -- When the carrier takes its next step (or, while a replica works on it, its lease ends).
  due_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX shipments_due ON shipments (due_at)
  WHERE state IN ('created', 'packing', 'shipped');
