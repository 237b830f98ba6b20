// Checkout: shipping address (a saved one or a new one), card, order summary, place order.
//
// "Place order" can never charge twice from this page. Each checkout attempt has one
// Idempotency-Key (a random UUID), sent with every try of that attempt: a double click (the
// button is disabled while a request is in flight, and a second submit is ignored), an
// automatic repeat after "in progress", a repeat after the access token was renewed, or the
// shopper pressing the button again after a network failure or a server error. The gateway
// answers a repeated key with the first outcome and never runs the order twice. The key is
// dropped only when the attempt has a final answer (an order, or a definite refusal such as a
// declined card); a changed form is a different request, so it gets a new key.
import * as api from '../api.js';
import {countryList, countryName, formatMoney} from '../format.js';
import {h, sleep} from '../dom.js';
import {currentPath, navigate} from '../router.js';
import {describeError, loading, messageArea, sentence, setMessage, showPageError} from './common.js';

// The documented pricing rules of the checkout service (services/checkout/pricing.h), for the
// estimate shown before the order exists; the order itself carries the amounts charged.
const FLAT_SHIPPING = 499;
const FREE_SHIPPING_FROM = 5000;
const TAX_BASIS_POINTS = 800;

const IN_PROGRESS_RETRIES = 10;
const PENDING_RETRIES = 3;

// The attempt in progress: {key, request} where request is the serialized body the key was
// first used with. Module state, so it outlives a visit to another page (and a re-render);
// memory only, never storage, because the body holds the card number.
let attempt = null;
let inFlight = false;
// What the shopper typed into the address fields, so that a detour (sign in again, look at
// the cart) does not lose it. Never the card.
let addressDraft = {};

function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Outside a secure context (plain HTTP on another host) randomUUID is missing.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-` +
    hex.slice(20);
}

function keyFor(request) {
  if (!attempt || attempt.request !== request) attempt = {key: idempotencyKey(), request};
  return attempt.key;
}

// Whether an error is the attempt's final answer. Not final: the network, 5xx (including
// order_pending), in_progress, rate limits and an expired session; the same key must be
// used again to learn the outcome.
function isFinal(error) {
  if (!(error instanceof api.ApiError)) return false;
  if (error.status < 400 || error.status >= 500) return false;
  return ![401, 408, 429].includes(error.status) && error.code !== 'in_progress';
}

export function estimate(subtotal) {
  const amount = BigInt(subtotal.amount);
  const shipping = amount >= BigInt(FREE_SHIPPING_FROM) ? 0n : BigInt(FLAT_SHIPPING);
  const tax = (amount * BigInt(TAX_BASIS_POINTS) + 5000n) / 10000n;
  const money = (v) => ({amount: Number(v), currency: subtotal.currency});
  return {shipping: money(shipping), tax: money(tax), total: money(amount + shipping + tax)};
}

function addressText(a) {
  return [a.name, a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.region,
    countryName(a.country)].filter(Boolean).join(', ');
}

function field(id, label, attrs = {}) {
  return h('div', {class: `field ${attrs.class ?? ''}`.trim()},
      h('label', {for: id}, label, attrs.required ? null : h('span', {class: 'optional'},
          ' (optional)')),
      h('input', {id, name: id, type: 'text', ...attrs, class: null,
        value: addressDraft[id] ?? attrs.value ?? ''}));
}

function select(id, label, options, attrs = {}) {
  return h('div', {class: 'field'},
      h('label', {for: id}, label),
      h('select', {id, name: id, ...attrs}, options.map(([value, text]) =>
        h('option', {value, selected: value === attrs.value}, text))));
}

function summary(cart) {
  const est = estimate(cart.subtotal);
  const row = (label, value, cls) => h('div', {class: `summary-row ${cls ?? ''}`.trim()},
      h('dt', null, label), h('dd', null, value));
  return h('aside', {class: 'order-summary', 'aria-labelledby': 'summary-heading'},
      h('h2', {id: 'summary-heading'}, 'Order summary'),
      h('ul', {class: 'summary-lines'}, (cart.items ?? []).map((item) =>
        h('li', null, h('span', null, `${item.name} × ${item.quantity}`),
            h('span', null, formatMoney(item.line_total))))),
      h('dl', null,
          row('Subtotal', formatMoney(cart.subtotal), 'subtotal'),
          row('Shipping', est.shipping.amount === 0 ? 'Free' : formatMoney(est.shipping)),
          row('Tax (8%)', formatMoney(est.tax)),
          row('Estimated total', formatMoney(est.total), 'total')),
      h('p', {class: 'hint'}, 'Prices are confirmed when you place the order.'));
}

export async function checkoutView(ctx) {
  if (!api.signedIn()) {
    await navigate(`/signin?next=${encodeURIComponent(currentPath())}`, {replace: true});
    return;
  }
  loading(ctx);
  let cart;
  let addresses;
  try {
    [cart, addresses] = await Promise.all([api.getCart(), api.listAddresses(ctx.signal)]);
  } catch (e) {
    showPageError(ctx, e, 'Checkout could not be loaded');
    return;
  }
  if (!(cart.items ?? []).length) {
    ctx.show('Checkout', h('h1', null, 'Checkout'),
        h('p', {class: 'empty'}, 'Your cart is empty.'),
        h('p', null, h('a', {href: '/', class: 'button'}, 'Continue shopping')));
    return;
  }
  const me = api.user();

  // --- shipping address ---
  const newAddress = h('div', {class: 'new-address'},
      field('name', 'Full name', {required: true, autocomplete: 'shipping name', maxlength: 100,
        value: me?.name ?? ''}),
      field('line1', 'Address line 1', {required: true, autocomplete: 'shipping address-line1',
        maxlength: 200}),
      field('line2', 'Address line 2', {autocomplete: 'shipping address-line2', maxlength: 200}),
      h('div', {class: 'field-row'},
          field('city', 'City', {required: true, autocomplete: 'shipping address-level2',
            maxlength: 100}),
          field('region', 'State / region', {autocomplete: 'shipping address-level1',
            maxlength: 100}),
          field('postal_code', 'Postal code', {autocomplete: 'shipping postal-code',
            maxlength: 20})),
      select('country', 'Country', countryList().map((c) => [c.code, c.name]),
          {required: true, autocomplete: 'shipping country', value: addressDraft.country ?? 'US'}),
      h('div', {class: 'check'},
          h('input', {id: 'save_address', name: 'save_address', type: 'checkbox',
            checked: addressDraft.save_address ?? addresses.length === 0}),
          h('label', {for: 'save_address'}, 'Save this address for next time')));
  const choices = addresses.length ? h('div', {class: 'address-choices'},
      addresses.map((a, i) => h('div', {class: 'check'},
          h('input', {type: 'radio', name: 'address_choice', id: `address-${i}`, value: a.id,
            checked: i === 0}),
          h('label', {for: `address-${i}`}, addressText(a)))),
      h('div', {class: 'check'},
          h('input', {type: 'radio', name: 'address_choice', id: 'address-new', value: 'new'}),
          h('label', {for: 'address-new'}, 'A new address'))) : null;

  // --- card ---
  const thisYear = new Date().getFullYear();
  const months = [['', 'Month'], ...Array.from({length: 12}, (_, i) => {
    const m = String(i + 1).padStart(2, '0');
    return [m, m];
  })];
  const years = [['', 'Year'],
    ...Array.from({length: 16}, (_, i) => [String(thisYear + i), String(thisYear + i)])];
  const payment = h('fieldset', {class: 'card-fields'},
      h('legend', null, 'Payment'),
      h('p', {class: 'hint test-cards', id: 'card-hint'},
          'Test shop: no real card is charged. Use ', h('strong', null, '4242 4242 4242 4242'),
          ' (approved) or ', h('strong', null, '4000 0000 0000 0002'),
          ' (declined), any future expiry date and any 3-digit CVC.'),
      h('div', {class: 'field'},
          h('label', {for: 'card_number'}, 'Card number'),
          h('input', {id: 'card_number', name: 'card_number', type: 'text', inputmode: 'numeric',
            autocomplete: 'cc-number', required: true, pattern: '[0-9 \\-]{12,23}',
            maxlength: 23, 'aria-describedby': 'card-hint', spellcheck: 'false'})),
      h('fieldset', {class: 'expiry'},
          h('legend', null, 'Expiry date'),
          h('div', {class: 'field-row'},
              select('exp_month', 'Month', months, {required: true, autocomplete: 'cc-exp-month'}),
              select('exp_year', 'Year', years, {required: true, autocomplete: 'cc-exp-year'}))),
      h('div', {class: 'field cvc'},
          h('label', {for: 'cvc'}, 'Security code (CVC)'),
          h('input', {id: 'cvc', name: 'cvc', type: 'text', inputmode: 'numeric',
            autocomplete: 'cc-csc', required: true, pattern: '[0-9]{3,4}', maxlength: 4,
            spellcheck: 'false'})));

  const error = messageArea('error');
  const status = messageArea();
  const button = h('button', {type: 'submit', class: 'button primary place-order'}, 'Place order');
  const form = h('form', {class: 'checkout-form', novalidate: true},
      h('fieldset', {class: 'shipping'},
          h('legend', null, 'Shipping address'),
          choices, newAddress),
      payment, error, status, button);

  const control = (name) => form.elements.namedItem(name);
  const usingNewAddress = () => !choices || control('address_choice').value === 'new';
  function syncAddressChoice() {
    const fresh = usingNewAddress();
    newAddress.hidden = !fresh;
    for (const el of newAddress.querySelectorAll('input, select')) el.disabled = !fresh;
  }
  form.addEventListener('change', (event) => {
    if (event.target.name === 'address_choice') syncAddressChoice();
  });
  form.addEventListener('input', (event) => {
    const el = event.target;
    if (newAddress.contains(el)) addressDraft[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  });
  syncAddressChoice();

  function requestBody() {
    const body = {};
    if (usingNewAddress()) {
      body.shipping_address = {};
      for (const name of ['name', 'line1', 'line2', 'city', 'region', 'postal_code', 'country']) {
        body.shipping_address[name] = control(name).value.trim();
      }
    } else {
      body.address_id = control('address_choice').value;
    }
    body.payment = {card: {
      number: control('card_number').value.replace(/[\s-]/g, ''),
      exp_month: Number(control('exp_month').value),
      exp_year: Number(control('exp_year').value),
      cvc: control('cvc').value.trim(),
    }};
    return body;
  }

  function invalidControl() {
    return [...form.elements].find((el) => el.willValidate && !el.disabled && !el.checkValidity());
  }

  function fail(e) {
    const focus = (name) => control(name)?.focus();
    switch (e.code) {
      case 'payment_declined':
        setMessage(error, 'error', 'Your card was declined, and nothing was charged. ' +
            'Please check the details or use another card.');
        focus('card_number');
        return;
      case 'insufficient_funds':
        setMessage(error, 'error', 'Your card has insufficient funds, and nothing was charged. ' +
            'Please use another card.');
        focus('card_number');
        return;
      case 'invalid_card':
      case 'card_expired':
        setMessage(error, 'error', `Please check your card: ${sentence(e.message)}`);
        focus('card_number');
        return;
      case 'out_of_stock':
        setMessage(error, 'error', 'Sorry, some items in your cart are no longer in stock in ' +
            'the quantity you chose. Nothing was charged. ', h('a', {href: '/cart'},
            'Review your cart'));
        return;
      case 'cart_empty':
        setMessage(error, 'error', 'Your cart is empty, so there is nothing to order. ',
            h('a', {href: '/'}, 'Continue shopping'));
        return;
      case 'invalid_address':
      case 'address_not_found':
        setMessage(error, 'error', `Please check the shipping address: ${sentence(e.message)}`);
        return;
      case 'checkout_interrupted':
        setMessage(error, 'error', 'The order could not be completed; nothing was charged. ' +
            'Please try again.');
        return;
      case 'session_expired':
      case 'authentication_required':
        setMessage(error, 'error', 'Your session has expired, so the order was not placed. ',
            h('a', {href: `/signin?next=${encodeURIComponent('/checkout')}`},
                'Sign in again'), ' to finish: your cart and address are kept.');
        return;
      case 'order_pending':
      case 'in_progress':
        setMessage(error, 'error', 'Your order is still being processed. Press “Place order” ' +
            'again in a moment to see the outcome (you will not be charged twice), or check ',
        h('a', {href: '/orders'}, 'your orders'), '.');
        return;
      default:
        if (!isFinal(e)) {
          setMessage(error, 'error', `${describeError(e)} We could not confirm your order. ` +
              'Press “Place order” to try again: you will not be charged twice. Or check ',
          h('a', {href: '/orders'}, 'your orders'), '.');
        } else {
          setMessage(error, 'error', describeError(e));
        }
    }
  }

  // One try of the attempt, repeated (same key) while the server says it is still running.
  async function send(body, key) {
    for (let i = 0; ; i++) {
      try {
        return await api.placeOrder(body, key);
      } catch (e) {
        if (e.code === 'in_progress' && i < IN_PROGRESS_RETRIES) {
          await sleep(1000);
        } else if (e.code === 'order_pending' && i < PENDING_RETRIES) {
          await sleep(Math.min(5, Math.max(1, e.retryAfter)) * 1000);
        } else {
          throw e;
        }
      }
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (inFlight) return;  // a double click: the first request carries on
    const invalid = invalidControl();
    if (invalid) {
      const label = form.querySelector(`label[for="${invalid.id}"]`)?.textContent ?? 'A field';
      setMessage(error, 'error', `${label.replace(' (optional)', '')}: ${invalid.validationMessage}`);
      invalid.focus();
      return;
    }
    const body = requestBody();
    const key = keyFor(JSON.stringify(body));
    inFlight = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Placing your order…';
    setMessage(error, 'error');
    setMessage(status, 'info', 'Placing your order…');
    try {
      const order = await send(body, key);
      attempt = null;
      if (body.shipping_address && control('save_address').checked) {
        await api.createAddress(body.shipping_address).catch(() => {});
      }
      addressDraft = {};
      api.getCart().catch(() => {});  // the header's count: the order emptied the cart
      await navigate(`/orders/${encodeURIComponent(order.id)}/confirmation`,
          {replace: true, state: {order}});
    } catch (e) {
      if (isFinal(e)) attempt = null;
      setMessage(status, 'info');
      fail(e);
    } finally {
      inFlight = false;
      button.disabled = false;
      button.setAttribute('aria-busy', 'false');
      button.textContent = 'Place order';
    }
  });

  ctx.show('Checkout', h('h1', null, 'Checkout'),
      // The summary first: on a phone the total shows before the form, not after the button.
      h('div', {class: 'checkout-layout'}, summary(cart), form));
}
