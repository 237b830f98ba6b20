-- Unit prices are bounded (kMaxUnitPrice in libs/commerce/money.h: 10^9 minor units), so that
-- no cart line, subtotal or order total can overflow. The service refuses a larger price with
-- 400 invalid_price; this refuses any write of one, whatever the code does. A trigger rather
-- than a CHECK: a row stored before the bound keeps its price and its stock can still move
-- (reservations, expiry); the cart and checkout answer 409 price_out_of_range for it until an
-- admin corrects the price.
CREATE FUNCTION check_product_price_bound() RETURNS trigger AS $$
BEGIN
  IF NEW.price_amount > 1000000000 AND
     (TG_OP = 'INSERT' OR NEW.price_amount IS DISTINCT FROM OLD.price_amount) THEN
    RAISE EXCEPTION 'price_amount % is above the bound of 1000000000 minor units',
      NEW.price_amount USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_price_bound BEFORE INSERT OR UPDATE OF price_amount ON products
  FOR EACH ROW EXECUTE FUNCTION check_product_price_bound();
