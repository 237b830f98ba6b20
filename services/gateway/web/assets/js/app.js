// The storefront: routes, the header (account links, cart count, search) and the messages
// that outlive a page. Plain JavaScript modules, no build step.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {beforeRender, navigate, notFound, render, route, start} from './router.js';
import {signInView, signOut, signUpView} from './views/account.js';
import {cartView, itemCount} from './views/cart.js';
import {categoryView, homeView, productView, searchView} from './views/catalog.js';
import {checkoutView} from './views/checkout.js';
import {ageNotice, notify} from './views/common.js';
import {confirmationView, ordersView, orderView} from './views/orders.js';

route('/', homeView);
route('/categories/:id', categoryView);
route('/search', searchView);
route('/products/:id', productView);
route('/cart', cartView);
route('/signin', signInView);
route('/signup', signUpView);
route('/checkout', checkoutView);
route('/orders', ordersView);
route('/orders/:id', orderView);
route('/orders/:id/confirmation', confirmationView);
notFound((ctx) => {
  ctx.show('Page not found', h('section', {class: 'error-panel'},
      h('h1', null, 'Page not found'),
      h('p', null, 'There is no page at this address.'),
      h('p', null, h('a', {href: '/', class: 'button'}, 'Go to the home page'))));
});

let cartCount = null;

function drawAccountLinks() {
  const user = api.user();
  const cartLabel = cartCount ? `Cart, ${cartCount} ${cartCount === 1 ? 'item' : 'items'}` :
    'Cart';
  const links = user ? [
    h('li', {class: 'greeting'}, `Hi, ${user.name || user.email}`),
    h('li', null, h('a', {href: '/orders'}, 'Orders')),
    h('li', null, h('button', {type: 'button', class: 'link-button', onclick: () => signOut()},
        'Sign out')),
  ] : [
    h('li', null, h('a', {href: `/signin`}, 'Sign in')),
    h('li', null, h('a', {href: `/signup`}, 'Create account')),
  ];
  links.push(h('li', null, h('a', {href: '/cart', class: 'cart-link', 'aria-label': cartLabel},
      'Cart', cartCount ? h('span', {class: 'cart-count', 'aria-hidden': 'true',
        id: 'cart-count'}, String(cartCount)) : null)));
  replace(document.getElementById('account-links'), links);
}

api.events.addEventListener('session', () => {
  drawAccountLinks();
});
api.events.addEventListener('cart', (event) => {
  cartCount = itemCount(event.detail);
  drawAccountLinks();
});
api.events.addEventListener('session-expired', () => {
  notify('Your session has expired. Please sign in again; your cart is kept.', 'warning');
});

// Search without a page load (the form also works without JavaScript: GET /search?q=...).
document.querySelector('.search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = event.target.elements.namedItem('q').value.trim();
  if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
});

// Never a blank page: an error no view caught is reported where the shopper can see it.
function reportCrash() {
  const main = document.getElementById('main');
  if (!main.querySelector('h1') || main.getAttribute('aria-busy') === 'true') {
    main.setAttribute('aria-busy', 'false');
    replace(main, h('section', {class: 'error-panel', role: 'alert'},
        h('h1', null, 'Something went wrong'),
        h('p', null, 'This page could not be shown. Please try again.'),
        h('p', {class: 'actions'},
            h('button', {type: 'button', class: 'button', onclick: () => render()}, 'Try again'),
            h('a', {href: '/', class: 'button secondary'}, 'Go to the home page'))));
  } else {
    notify('Something went wrong. Please try again.', 'error');
  }
}
window.addEventListener('unhandledrejection', reportCrash);
window.addEventListener('error', reportCrash);

async function boot() {
  document.documentElement.classList.add('js-ready');
  await api.restoreSession();
  drawAccountLinks();
  api.getCart().catch(() => {});  // the header's count; the cart page reports failures
  beforeRender(ageNotice);
  await start(document.getElementById('main'));
}

boot();
