// Pieces shared by the views: loading and error states, product cards, pagination, messages.
import {ApiError} from '../api.js';
import {formatMoney} from '../format.js';
import {h, productImage, replace} from '../dom.js';
import {currentPath, render} from '../router.js';

// What to tell a shopper about a failed call. Codes the views handle themselves (declined
// card, ...) are mapped there; this is the general case.
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return 'Something went wrong on this page. Please try again.';
  }
  switch (error.code) {
    case 'network_error':
      return 'We can’t reach the shop right now. Check your connection and try again.';
    case 'service_unavailable':
    case 'overloaded':
    case 'cart_unavailable':
    case 'catalog_unavailable':
    case 'unavailable':
      return 'Part of the shop is temporarily unavailable. Please try again in a moment.';
    case 'session_expired':
      return 'Your session has expired. Please sign in again.';
    case 'authentication_required':
      return 'Please sign in to continue.';
    case 'too_many_requests':
    case 'too_many_attempts':
      return error.retryAfter ?
        `Too many attempts. Please wait ${error.retryAfter} seconds and try again.` :
        'Too many attempts. Please wait a moment and try again.';
    case 'not_found':
    case 'product_not_found':
      return 'We couldn’t find that.';
    default:
      if (error.status >= 500) {
        return 'The shop ran into a problem. Please try again in a moment.';
      }
      // 4xx from the API: its message is written for people ("quantity must be ...").
      return sentence(error.message) || 'That didn’t work. Please check and try again.';
  }
}

export function sentence(text) {
  if (!text) return '';
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

// A reference the shopper can quote to support.
function reference(error) {
  return error instanceof ApiError && error.requestId ?
    h('p', {class: 'reference'}, `Reference: ${error.requestId}`) : null;
}

// The whole page could not be shown: say why and offer to try again. Never a blank page.
export function showPageError(ctx, error, title = 'Something went wrong') {
  if (ctx.stale) return;
  if (error instanceof ApiError && (error.code === 'session_expired' ||
      error.code === 'authentication_required')) {
    ctx.show('Sign in', signInPrompt(describeError(error)));
    return;
  }
  const notFound = error instanceof ApiError && error.status === 404;
  ctx.show(notFound ? 'Not found' : title,
      h('section', {class: 'error-panel', role: 'alert'},
          h('h1', null, notFound ? 'Not found' : title),
          h('p', null, notFound ? 'We couldn’t find that page or item.' : describeError(error)),
          reference(error),
          h('p', {class: 'actions'},
              notFound ? null :
                h('button', {type: 'button', class: 'button', onclick: () => render()},
                    'Try again'),
              h('a', {href: '/', class: 'button secondary'}, 'Go to the home page'))));
}

export function signInPrompt(message) {
  const next = encodeURIComponent(currentPath());
  return h('section', {class: 'panel narrow'},
      h('h1', null, 'Please sign in'),
      h('p', {role: 'alert'}, message),
      h('p', {class: 'actions'},
          h('a', {href: `/signin?next=${next}`, class: 'button'}, 'Sign in'),
          h('a', {href: `/signup?next=${next}`, class: 'button secondary'}, 'Create an account')));
}

export function loading(ctx, label = 'Loading…') {
  ctx.main.setAttribute('aria-busy', 'true');
  if (!ctx.main.querySelector('.loading')) {
    ctx.main.replaceChildren(h('p', {class: 'loading'}, label));
  }
}

// A message area that screen readers announce when its text changes. role=alert for
// errors (assertive), role=status for the rest; it exists (empty) before the message
// arrives, which is what makes the announcement reliable.
export function messageArea(kind = 'status') {
  return h('div', {class: 'message', role: kind === 'error' ? 'alert' : 'status',
    'aria-live': kind === 'error' ? 'assertive' : 'polite'});
}

export function setMessage(area, kind, ...content) {
  area.className = `message ${content.length ? kind : ''}`.trim();
  replace(area, ...content);
}

// The page-independent notice under the header ("Signed in", "Your session expired"). It
// stays on the current page and the next one (a sign-in redirects), then goes.
let noticePages = 0;

export function ageNotice() {
  if (noticePages > 0) noticePages -= 1;
  else clearNotice();
}

export function notify(text, kind = 'info') {
  noticePages = 1;
  const el = document.getElementById('notice');
  el.className = `notice ${kind}`;
  el.hidden = false;
  replace(el, h('span', null, text),
      h('button', {type: 'button', class: 'link-button', 'aria-label': 'Dismiss message',
        onclick: () => {
          el.hidden = true;
          el.replaceChildren();
        }}, '×'));
}

export function clearNotice() {
  const el = document.getElementById('notice');
  el.hidden = true;
  el.replaceChildren();
}

export function stockText(stock) {
  if (stock <= 0) return 'Out of stock';
  if (stock <= 10) return `Only ${stock} left in stock`;
  return `In stock: ${stock} left`;
}

export function productCard(product) {
  const href = `/products/${encodeURIComponent(product.id)}`;
  return h('li', {class: 'product-card'},
      h('a', {href, class: 'product-link'},
          productImage(product.image_url, ''),
          h('span', {class: 'product-name'}, product.name)),
      h('p', {class: 'price'}, formatMoney(product.price)),
      product.stock <= 0 ? h('p', {class: 'stock out'}, 'Out of stock') : null);
}

export function productGrid(products, label) {
  return h('ul', {class: 'product-grid', 'aria-label': label}, products.map(productCard));
}

// Previous / next links for token pagination. The API pages forward only, so the tokens of
// earlier pages travel in history.state; a deep link to a later page offers the first page
// as "previous".
export function pager(ctx, basePath, nextToken) {
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const stack = Array.isArray(ctx.state?.pages) ? ctx.state.pages : [];
  const url = (token, number) => {
    const q = new URLSearchParams(ctx.query);
    q.delete('page_token');
    q.delete('page');
    if (token) {
      q.set('page_token', token);
      q.set('page', String(number));
    }
    const text = q.toString();
    return text ? `${basePath}?${text}` : basePath;
  };
  const links = [];
  if (page > 1) {
    const previousToken = stack.length ? stack[stack.length - 1] : '';
    const a = h('a', {href: url(previousToken, previousToken ? page - 1 : 1), rel: 'prev',
      class: 'button secondary'}, '← Previous page');
    a.routeState = {pages: stack.slice(0, -1)};
    links.push(a);
  }
  links.push(h('span', {class: 'page-number', 'aria-current': 'page'}, `Page ${page}`));
  if (nextToken) {
    const a = h('a', {href: url(nextToken, page + 1), rel: 'next', class: 'button secondary'},
        'Next page →');
    a.routeState = {pages: [...stack, ctx.query.get('page_token') ?? '']};
    links.push(a);
  }
  return h('nav', {class: 'pager', 'aria-label': 'Pages'}, links);
}
