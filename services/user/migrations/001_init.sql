-- Accounts, refresh-token families, address books and login throttling.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  -- Normalised by the service (trimmed, lower case); unique whatever the case.
  email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- libsodium crypto_pwhash_str output ("$argon2id$v=19$m=...,t=...,p=1$salt$hash").
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One row per refresh token ever issued. A login starts a family; each refresh marks the
-- presented token used and adds the next one to the same family. Presenting a used token
-- again means it was copied: the whole family is revoked.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- BLAKE2b-256 of the token, hex. The token itself is never stored.
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE addresses (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  line1       text NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
  line2       text NOT NULL DEFAULT '' CHECK (length(line2) <= 200),
  city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
  region      text NOT NULL DEFAULT '' CHECK (length(region) <= 100),
  postal_code text NOT NULL DEFAULT '' CHECK (length(postal_code) <= 20),
  country     char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX addresses_user_idx ON addresses (user_id, created_at, id);

-- Failed logins per key (a hash of the normalised email, or of the client address), shared
-- by every replica. See login_throttle.h for the schedule.
CREATE TABLE login_throttle (
  key             text PRIMARY KEY,
  failures        integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz
);

CREATE INDEX login_throttle_last_failure_idx ON login_throttle (last_failure_at);
