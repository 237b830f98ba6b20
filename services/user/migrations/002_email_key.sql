-- One normalisation of email addresses for uniqueness and for finding the account at sign-in
-- (issue 15). Before, the service lower-cased ASCII only while lower() followed the database's
-- locale, so 'Kiki@...' (Kelvin sign U+212A) and 'kİki@...' reached the account of 'kiki@...'
-- under another sign-in throttle key.
--
-- email_key() is the only definition, used by the unique index and by every look-up: NFKC
-- (compatibility forms such as the Kelvin sign or full-width letters become plain letters),
-- Unicode lower case by ICU's root locale (the same on every server whatever its LC_CTYPE, so
-- 'İ' becomes 'i' + U+0307, not 'i'), then NFKC again. Needs PostgreSQL 13 or later built with
-- ICU and a UTF8 database (the official images, Debian's packages and the managed services).
CREATE FUNCTION email_key(email text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT normalize(lower(normalize(email, NFKC) COLLATE "und-x-icu"), NFKC) $$;

-- Accounts that only the new key tells apart from each other cannot be merged automatically.
DO $$
DECLARE
  clashes bigint;
BEGIN
  SELECT count(*) INTO clashes FROM (
    SELECT 1 FROM users GROUP BY email_key(email) HAVING count(*) > 1) AS c;
  IF clashes > 0 THEN
    RAISE EXCEPTION '% email addresses are held by more than one account once normalised; '
                    'rename or merge them first (SELECT email_key(email), array_agg(id) FROM '
                    'users GROUP BY 1 HAVING count(*) > 1)', clashes;
  END IF;
END $$;

ALTER TABLE users ADD COLUMN email_key text GENERATED ALWAYS AS (email_key(email)) STORED;
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key_idx ON users (email_key);
