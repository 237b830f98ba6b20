-- Returned stock (issue 14): a committed reservation whose goods were never shipped (the order
-- was cancelled) is returned: committed -> returned puts each item's quantity back on hand, in
-- the transaction that moves the reservation (ReturnStock). Returned is final.
ALTER TABLE reservations DROP CONSTRAINT reservations_state_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_state_check
  CHECK (state IN ('held', 'committed', 'released', 'expired', 'returned'));
