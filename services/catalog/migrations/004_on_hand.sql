-- Stock on hand and stock held, kept apart (issue 15, defect 8). Before, products.stock was
-- "available now": reserving took units out of it, releasing put them back, and an admin's
-- "set stock" overwrote it. An admin who counted 5 on the shelf while 3 were held set 5, a
-- release then added the 3 back: 8 sellable of 5 units.
--
-- Now:
--   on_hand   units in the warehouse, held ones included: what an admin sets and counts.
--             Committing a reservation (the units are sold) takes them out.
--   reserved  units held by reservations not yet committed, released or expired.
--   stock     on_hand - reserved, what can be bought now (generated, read-only).
-- Every change is one relative UPDATE of one row, so any interleaving of set-stock,
-- reserve, commit, release and expiry serialises on the row lock, and the CHECKs keep
-- 0 <= reserved <= on_hand (sellable >= 0) whatever the code does.
ALTER TABLE products RENAME COLUMN stock TO on_hand;
ALTER TABLE products ADD COLUMN reserved bigint NOT NULL DEFAULT 0;

-- What held reservations took out of the old column goes back into on hand, as held.
UPDATE products p
   SET reserved = held.quantity, on_hand = p.on_hand + held.quantity
  FROM (SELECT i.product_id, sum(i.quantity)::bigint AS quantity
          FROM reservation_items i JOIN reservations r ON r.id = i.reservation_id
         WHERE r.state = 'held'
         GROUP BY i.product_id) AS held
 WHERE p.id = held.product_id;

ALTER TABLE products
  ADD CONSTRAINT products_reserved_check CHECK (reserved >= 0 AND reserved <= on_hand),
  ADD COLUMN stock bigint GENERATED ALWAYS AS (on_hand - reserved) STORED;
