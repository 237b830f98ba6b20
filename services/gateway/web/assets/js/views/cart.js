// The cart: change quantities, remove lines, see the subtotal, go to checkout. Guests have a
// cart too (the gateway keys it by an HttpOnly cookie); signing in merges it into theirs.
import * as api from '../api.js';
import {formatMoney, pluralize} from '../format.js';
import {h, productImage, replace} from '../dom.js';
import {describeError, loading, messageArea, setMessage, showPageError} from './common.js';

const MAX_PER_LINE = 99;  // the cart service's limit per line

export function itemCount(cart) {
  return (cart?.items ?? []).reduce((n, item) => n + item.quantity, 0);
}

export async function cartView(ctx) {
  loading(ctx);
  let cart;
  try {
    cart = await api.getCart();
  } catch (e) {
    showPageError(ctx, e, 'Your cart could not be loaded');
    return;
  }
  const status = messageArea();
  const error = messageArea('error');
  const body = h('div', {class: 'cart-body'});

  // Runs one cart change, then shows the cart the server answered with.
  // Focus goes back to the same control of the same line (the list is redrawn), or to the
  // first control left when that line is gone.
  async function change(control, action, done) {
    const productId = control.closest('.cart-line')?.dataset.productId;
    const selector = control.classList.contains('remove') ? '.remove' : '.quantity';
    control.disabled = true;
    setMessage(error, 'error');
    try {
      cart = await action();
      draw();
      setMessage(status, 'success', done);
      const again = [...body.querySelectorAll('.cart-line')]
          .find((el) => el.dataset.productId === productId)?.querySelector(selector);
      (again ?? body.querySelector('input, a.button, button'))?.focus();
    } catch (e) {
      setMessage(error, 'error', e.code === 'out_of_stock' ?
        'Sorry, there isn’t enough stock left for that quantity.' : describeError(e));
      control.disabled = false;
    }
  }

  function line(item) {
    const id = `qty-${item.product_id}`;
    const href = `/products/${encodeURIComponent(item.product_id)}`;
    const max = Math.min(MAX_PER_LINE, Math.max(item.quantity, item.available_stock));
    const quantity = h('input', {id, type: 'number', min: 1, max, value: String(item.quantity),
      inputmode: 'numeric', class: 'quantity'});
    quantity.addEventListener('change', () => {
      const n = Number(quantity.value);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        setMessage(error, 'error', `Choose a quantity from 1 to ${max} for ${item.name}.`);
        quantity.value = String(item.quantity);
        return;
      }
      if (n === item.quantity) return;
      change(quantity, () => api.setCartQuantity(item.product_id, n),
          `${item.name}: quantity changed to ${n}.`);
    });
    const remove = h('button', {type: 'button', class: 'link-button remove',
      'aria-label': `Remove ${item.name} from your cart`}, 'Remove');
    remove.addEventListener('click', () => change(remove,
        () => api.removeFromCart(item.product_id), `${item.name} was removed from your cart.`));
    const short = item.available_stock < item.quantity;
    return h('li', {class: 'cart-line', dataset: {productId: item.product_id}},
        h('a', {href, class: 'cart-image', tabindex: '-1', 'aria-hidden': 'true'},
            productImage(item.image_url, '', {width: 80, height: 84})),
        h('div', {class: 'cart-line-info'},
            h('a', {href, class: 'cart-name'}, item.name),
            h('p', {class: 'unit-price'}, `${formatMoney(item.unit_price)} each`),
            short ? h('p', {class: 'stock out'}, item.available_stock > 0 ?
              `Only ${item.available_stock} left: lower the quantity to check out.` :
              'Out of stock: remove it to check out.') : null),
        h('div', {class: 'cart-line-controls'},
            h('label', {for: id}, 'Quantity'), quantity, remove),
        h('p', {class: 'line-total'}, formatMoney(item.line_total)));
  }

  function draw() {
    const items = cart.items ?? [];
    if (!items.length) {
      replace(body,
          h('p', {class: 'empty'}, 'Your cart is empty.'),
          h('p', null, h('a', {href: '/', class: 'button'}, 'Continue shopping')));
      return;
    }
    const blocked = items.some((i) => i.available_stock < i.quantity);
    replace(body,
        h('ul', {class: 'cart-lines', 'aria-label': 'Items in your cart'}, items.map(line)),
        h('div', {class: 'cart-summary'},
            h('p', {class: 'subtotal'},
                h('span', null, `Subtotal (${pluralize(itemCount(cart), 'item', 'items')})`),
                h('strong', {id: 'cart-subtotal'}, formatMoney(cart.subtotal))),
            h('p', {class: 'hint'}, 'Shipping and tax are added at checkout.'),
            blocked ?
              h('p', {class: 'stock out'}, 'Some items are short of stock; adjust them first.') :
              h('a', {href: '/checkout', class: 'button primary checkout-button'},
                  'Proceed to checkout')));
  }

  draw();
  ctx.show('Your cart', h('h1', null, 'Your cart'), error, status, body);
}
