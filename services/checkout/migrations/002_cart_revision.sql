-- One order per cart revision (issue 15, defect 12): five concurrent checkouts of one cart
-- with different Idempotency-Keys (two tabs, a double click) gave five paid orders. The cart
-- service gives every change of a cart's lines a new, never repeated revision; an order
-- records the revision it priced, and a user's revision is ordered at most once, unless
-- that order failed (nothing was bought: the same cart may be tried again). CreateOrder
-- checks this under a per-user lock and answers 409; the index holds whatever the code does.
ALTER TABLE orders ADD COLUMN cart_revision text NOT NULL DEFAULT ''
  CHECK (length(cart_revision) <= 128);

CREATE UNIQUE INDEX orders_one_per_cart_revision ON orders (user_id, cart_revision)
  WHERE cart_revision <> '' AND status <> 'failed';
