// Orders: the confirmation after checkout, the history and one order.
import * as api from '../api.js';
import {cardLabel, countryName, formatDate, formatMoney, orderStatusLabel, pluralize}
  from '../format.js';
import {h} from '../dom.js';
import {describeError, loading, messageArea, pager, setMessage, showPageError, signInPrompt}
  from './common.js';

const PAGE_SIZE = 10;

function requireSignIn(ctx, what) {
  if (api.signedIn()) return true;
  ctx.show('Sign in', signInPrompt(`Please sign in to see ${what}.`));
  return false;
}

function orderNumber(order) {
  return order.id.slice(0, 8).toUpperCase();
}

function addressBlock(a) {
  if (!a) return null;
  return h('address', null, [a.name, a.line1, a.line2,
    [a.postal_code, a.city].filter(Boolean).join(' '), a.region, countryName(a.country)]
      .filter(Boolean).map((line) => h('span', {class: 'address-line'}, line)));
}

function itemsTable(order) {
  return h('table', {class: 'order-items'},
      h('caption', {class: 'visually-hidden'}, 'Items in this order'),
      h('thead', null, h('tr', null,
          h('th', {scope: 'col'}, 'Item'), h('th', {scope: 'col', class: 'num'}, 'Qty'),
          h('th', {scope: 'col', class: 'num'}, 'Price'),
          h('th', {scope: 'col', class: 'num'}, 'Total'))),
      h('tbody', null, (order.items ?? []).map((item) => h('tr', null,
          h('th', {scope: 'row'},
              h('a', {href: `/products/${encodeURIComponent(item.product_id)}`}, item.name)),
          h('td', {class: 'num'}, String(item.quantity)),
          h('td', {class: 'num'}, formatMoney(item.unit_price)),
          h('td', {class: 'num'}, formatMoney(item.line_total))))));
}

function totals(order) {
  const row = (label, money, cls) => h('div', {class: `summary-row ${cls ?? ''}`.trim()},
      h('dt', null, label), h('dd', null, money.amount === 0 && label === 'Shipping' ?
        'Free' : formatMoney(money)));
  return h('dl', {class: 'order-totals'},
      row('Subtotal', order.subtotal, 'subtotal'),
      row('Shipping', order.shipping, 'shipping'),
      row('Tax', order.tax, 'tax'),
      row('Total', order.total, 'total'));
}

function orderDetails(order) {
  return [
    itemsTable(order),
    totals(order),
    h('div', {class: 'order-facts'},
        h('section', null, h('h2', null, 'Shipping to'), addressBlock(order.shipping_address)),
        order.card_last4 ? h('section', null, h('h2', null, 'Paid with'),
            h('p', null, cardLabel(order.card_brand, order.card_last4))) : null),
  ];
}

export async function confirmationView(ctx) {
  if (!requireSignIn(ctx, 'your order')) return;
  let order = ctx.state?.order?.id === ctx.params.id ? ctx.state.order : null;
  if (!order) {
    loading(ctx);
    try {
      order = await api.getOrder(ctx.params.id, ctx.signal);
    } catch (e) {
      showPageError(ctx, e, 'Your order could not be loaded');
      return;
    }
  }
  // Confirmed once paid, whatever fulfillment has done since (it starts packing at once).
  const paid = ['paid', 'fulfilling', 'shipped', 'delivered', 'partially_refunded']
      .includes(order.status);
  ctx.show('Order confirmed',
      h('section', {class: 'confirmation'},
          h('h1', null, paid ? 'Thank you! Your order is confirmed.' : 'Your order was received.'),
          h('p', {class: 'order-number'}, 'Order number ',
              h('strong', {id: 'order-number'}, orderNumber(order))),
          h('p', null, paid ?
            `We charged ${formatMoney(order.total)} to your card and will ship ` +
            `${pluralize((order.items ?? []).reduce((n, i) => n + i.quantity, 0), 'item', 'items')} soon.` :
            `Its status is “${orderStatusLabel(order.status)}”; you can follow it in your orders.`),
          orderDetails(order),
          h('p', {class: 'actions'},
              h('a', {href: `/orders/${encodeURIComponent(order.id)}`, class: 'button secondary'},
                  'View order details'),
              h('a', {href: '/orders', class: 'button secondary'}, 'All your orders'),
              h('a', {href: '/', class: 'button'}, 'Continue shopping'))));
}

export async function ordersView(ctx) {
  if (!requireSignIn(ctx, 'your orders')) return;
  loading(ctx);
  let page;
  try {
    page = await api.listOrders({pageToken: ctx.query.get('page_token'), pageSize: PAGE_SIZE},
        ctx.signal);
  } catch (e) {
    showPageError(ctx, e, 'Your orders could not be loaded');
    return;
  }
  // A checkout that failed (declined card, out of stock) is recorded by the API with status
  // "failed": an attempt, not an order the shopper placed, so the history leaves it out.
  const orders = (page.orders ?? []).filter((order) => order.status !== 'failed');
  const more = Boolean(page.next_page_token);
  ctx.show('Your orders', h('h1', null, 'Your orders'),
      orders.length ? h('ol', {class: 'order-list', 'aria-label': 'Orders, newest first'},
          orders.map((order) => h('li', {class: 'order-row', dataset: {orderId: order.id}},
              h('a', {href: `/orders/${encodeURIComponent(order.id)}`, class: 'order-link'},
                  `Order ${orderNumber(order)}`),
              h('span', {class: 'order-date'}, formatDate(order.created_at)),
              h('span', {class: `order-status status-${order.status}`},
                  orderStatusLabel(order.status)),
              h('span', {class: 'order-count'},
                  pluralize((order.items ?? []).reduce((n, i) => n + i.quantity, 0), 'item',
                      'items')),
              h('strong', {class: 'order-total'}, formatMoney(order.total))))) :
        h('p', {class: 'empty'}, more ? 'No orders on this page.' : 'You have no orders yet. ',
            more ? null : h('a', {href: '/'}, 'Start shopping')),
      orders.length || more ? pager(ctx, '/orders', page.next_page_token) : null);
}

// What happened to the order, oldest first: each state with its time, the carrier and
// tracking number of a shipment, the amount of a refund.
function timeline(order) {
  const entries = order.timeline ?? [];
  if (!entries.length) return null;
  return h('section', {class: 'order-timeline'},
      h('h2', null, 'Timeline'),
      h('ol', {class: 'timeline'}, entries.map((entry) => h('li',
          {class: `timeline-entry status-${entry.status}`, dataset: {status: entry.status}},
          h('span', {class: 'timeline-status'}, orderStatusLabel(entry.status)),
          h('time', {class: 'timeline-at', datetime: entry.at}, formatDate(entry.at)),
          entry.carrier || entry.tracking_number ? h('span', {class: 'timeline-detail'},
              [entry.carrier, entry.tracking_number ? `tracking number ${entry.tracking_number}` :
                null].filter(Boolean).join(' · ')) : null,
          entry.amount ? h('span', {class: 'timeline-detail timeline-amount'},
              `Refunded ${formatMoney(entry.amount)}`) : null))));
}

// Cancels the order and shows it again (cancelled, or cancelling while the refund runs).
function cancelButton(ctx, order, error) {
  const button = h('button', {type: 'button', class: 'button secondary', id: 'cancel-order'},
      'Cancel order');
  button.addEventListener('click', async () => {
    if (button.disabled) return;  // a double click: the first request carries on
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Cancelling…';
    setMessage(error, 'error');
    try {
      const cancelled = await api.cancelOrder(order.id);
      showOrder(ctx, cancelled, cancelled.status === 'cancelled' ?
        'Your order is cancelled. The money goes back to your card.' :
        'Your order is being cancelled. The money goes back to your card shortly.');
    } catch (e) {
      setMessage(error, 'error', e?.code === 'order_not_cancellable' ?
        'This order can no longer be cancelled.' : describeError(e));
      button.disabled = false;
      button.setAttribute('aria-busy', 'false');
      button.textContent = 'Cancel order';
    }
  });
  return button;
}

function showOrder(ctx, order, notice) {
  const error = messageArea('error');
  const refunded = order.refunded?.amount > 0 ? h('p', {class: 'order-refunded'},
      `Refunded: ${formatMoney(order.refunded)}`) : null;
  ctx.show(`Order ${orderNumber(order)}`,
      h('nav', {class: 'breadcrumbs', 'aria-label': 'Breadcrumb'},
          h('a', {href: '/orders'}, 'Your orders'), ' › ',
          h('span', {'aria-current': 'page'}, `Order ${orderNumber(order)}`)),
      h('h1', null, `Order ${orderNumber(order)}`),
      h('p', {class: 'order-meta'},
          `Placed ${formatDate(order.created_at)} · `,
          h('span', {class: `order-status status-${order.status}`, id: 'order-status'},
              orderStatusLabel(order.status))),
      notice ? h('p', {class: 'message info', role: 'status'}, notice) : null,
      order.status === 'failed' ? h('p', {class: 'message error'},
          'This order was not completed and nothing was charged.') : null,
      refunded,
      timeline(order),
      order.cancellable ? h('div', {class: 'order-actions'}, cancelButton(ctx, order, error),
          error) : null,
      orderDetails(order));
}

export async function orderView(ctx) {
  if (!requireSignIn(ctx, 'this order')) return;
  loading(ctx);
  let order;
  try {
    order = await api.getOrder(ctx.params.id, ctx.signal);
  } catch (e) {
    showPageError(ctx, e, 'This order could not be loaded');
    return;
  }
  showOrder(ctx, order, null);
}
