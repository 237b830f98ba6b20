-- Products, categories and full-text search.
CREATE TABLE categories (
  id       text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,40}$'),
  name     text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  position integer NOT NULL DEFAULT 0
);

CREATE TABLE products (
  id           uuid PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description  text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  price_amount bigint NOT NULL CHECK (price_amount >= 0),
  currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Category ids; checked against categories by the service.
  categories   text[] NOT NULL DEFAULT '{}',
  image_url    text NOT NULL DEFAULT '',
  -- Quantity available now. Never negative, whatever the code does.
  stock        bigint NOT NULL CHECK (stock >= 0),
  search       tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english', name), 'A') ||
                 setweight(to_tsvector('english', description), 'B')) STORED,
  -- Incremented on every update, so caches apply a newer row over an older one, never the
  -- reverse, whatever order refreshes finish in.
  version      bigint NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_categories_idx ON products USING gin (categories);

CREATE FUNCTION bump_product_version() RETURNS trigger AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_version BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION bump_product_version();

-- Every change to a product is announced, so that each catalog replica refreshes its
-- in-memory read model (product_cache.h) within milliseconds.
CREATE FUNCTION notify_product_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('catalog_products', COALESCE(NEW.id, OLD.id)::text);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_notify AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION notify_product_change();
