// Storefront journeys in headless Chromium against the real suite (tests/browser/run starts
// it). Each journey asserts exact texts and values, computed from the API independently of
// the app's code, and that the page logged no error (a CSP violation would be one).
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {
  BASE, PHONE, adminToken, api, apiOk, assertFitsWidth, assertNoProblems, expectText,
  expectTexts, expectUrl, fillAddress, fillCard, launch, newPage, newShopper, orderTotals,
  productWithStock, recordCheckouts, registerShopper, screenshot, stockText, tokenFor, usd,
} from './lib.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// What the order page calls each status (the timeline's entries, the order's status).
const LABELS = {pending: 'Processing', paid: 'Paid', failed: 'Not completed',
  fulfilling: 'Being packed', shipped: 'Shipped', delivered: 'Delivered',
  cancelling: 'Cancelling', cancelled: 'Cancelled', refunded: 'Refunded',
  partially_refunded: 'Partly refunded'};

// `count` orders shown as paid. The fulfillment worker starts packing a paid order at once
// (FULFILLING follows PAID), so "Being packed" is as right as "Paid" here.
async function expectPaidStatuses(locator, count, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let texts;
  for (;;) {
    texts = (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    if (texts.length === count || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(texts.length, count);
  for (const text of texts) assert.ok([LABELS.paid, LABELS.fulfilling].includes(text), text);
}

const DECLINED = 'Your card was declined, and nothing was charged. ' +
  'Please check the details or use another card.';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe('storefront', () => {
  test('a guest browses, fills a cart, signs up, keeps the cart, checks out and finds the order',
      async () => {
        const page = await newPage(browser);
        const checkoutKeys = recordCheckouts(page);

        // --- home: categories and featured products, as the API lists them
        const {categories} = await apiOk('GET', '/api/v1/categories');
        const featured = (await apiOk('GET', '/api/v1/products?page_size=8')).products;
        const assets = [];
        page.on('response', (r) => {
          if (new URL(r.url()).pathname.startsWith('/assets/')) assets.push(r);
        });
        const document = await page.goto(`${BASE}/`);
        await expectText(page.locator('h1'), 'Welcome to Mercato');
        assert.equal(await page.title(), 'Mercato');
        // Served by the gateway: gzip, revalidated HTML with a strict CSP, versioned assets.
        const headers = await document.allHeaders();
        assert.deepEqual([headers['content-type'], headers['content-encoding'], headers.vary,
          headers['cache-control'], headers['content-security-policy'],
          headers['x-content-type-options'], headers['referrer-policy']],
        ['text/html; charset=utf-8', 'gzip', 'Accept-Encoding', 'no-cache',
          "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
          "frame-ancestors 'none'", 'nosniff', 'same-origin']);
        const script = await page.locator('script[type=module]').getAttribute('src');
        assert.match(script, /^\/assets\/[0-9a-f]{12}\/js\/app\.js$/);
        const app = assets.find((r) => new URL(r.url()).pathname === script);
        assert.ok(app, 'app.js was loaded from its versioned URL');
        assert.deepEqual([app.status(), (await app.allHeaders())['cache-control'],
          (await app.allHeaders())['content-encoding']],
        [200, 'public, max-age=31536000, immutable', 'gzip']);
        assert.ok(assets.every((r) => r.url().startsWith(`${BASE}${script.slice(0, 21)}`)),
            'every asset from the versioned directory');
        await expectTexts(page.locator('.categories a'), categories.map((c) => c.name));
        await expectTexts(page.locator('.product-grid .product-name'), featured.map((p) => p.name));
        await expectTexts(page.locator('.product-grid .price'), featured.map((p) => usd(p.price.amount)));
        await screenshot(page, 'home');

        // --- a category, with pagination forward and back
        const kitchen = categories.find((c) => c.id === 'kitchen');
        const page1 = await apiOk('GET', '/api/v1/products?category=kitchen&page_size=12');
        await page.getByRole('link', {name: kitchen.name, exact: true}).click();
        await expectUrl(page, `${BASE}/categories/kitchen`);
        await expectText(page.locator('h1'), kitchen.name);
        await expectTexts(page.locator('.product-name'), page1.products.map((p) => p.name));
        await screenshot(page, 'category');
        assert.ok(page1.next_page_token, 'kitchen has more than one page');
        const page2 = await apiOk('GET', '/api/v1/products?category=kitchen&page_size=12' +
          `&page_token=${encodeURIComponent(page1.next_page_token)}`);
        await page.getByRole('link', {name: 'Next page →'}).click();
        await expectText(page.locator('.page-number'), 'Page 2');
        await expectTexts(page.locator('.product-name'), page2.products.map((p) => p.name));
        await page.getByRole('link', {name: '← Previous page'}).click();
        await expectText(page.locator('.page-number'), 'Page 1');
        await expectTexts(page.locator('.product-name'), page1.products.map((p) => p.name));

        // --- search from the header
        const results = (await apiOk('GET', '/api/v1/products?q=skillet&page_size=12')).products;
        assert.ok(results.length > 0);
        await page.getByLabel('Search products').fill('skillet');
        await page.getByLabel('Search products').press('Enter');
        await expectUrl(page, `${BASE}/search?q=skillet`);
        await expectText(page.locator('h1'), 'Results for “skillet”');
        await expectTexts(page.locator('.product-name'), results.map((p) => p.name));

        // --- a product: image, price, stock, add 2 to the cart as a guest
        const product = results.find((p) => p.stock >= 5);
        assert.ok(product, 'a skillet with stock');
        const price = product.price.amount;
        await page.getByRole('link', {name: product.name, exact: true}).click();
        await expectUrl(page, `${BASE}/products/${product.id}`);
        await expectText(page.locator('h1'), product.name);
        await expectText(page.locator('.price.large'), usd(price));
        await expectText(page.locator('#stock'), stockText(product.stock));
        assert.equal(await page.getByRole('img', {name: product.name}).getAttribute('src'),
            product.image_url);
        await page.getByLabel('Quantity').fill('2');
        await page.getByRole('button', {name: 'Add to cart'}).click();
        await expectText(page.locator('.add-to-cart [role=status]'),
            `Added 2 × ${product.name} to your cart. View cart`);
        await expectText(page.locator('#cart-count'), '2');
        assert.equal(await page.locator('.cart-link').getAttribute('aria-label'), 'Cart, 2 items');
        await screenshot(page, 'product');

        // --- the cart: quantities and the subtotal from the cart's minor units
        await page.locator('.cart-link').click();
        await expectText(page.locator('h1'), 'Your cart');
        await expectTexts(page.locator('.cart-name'), [product.name]);
        assert.equal(await page.getByLabel('Quantity').inputValue(), '2');
        await expectText(page.locator('.line-total'), usd(2 * price));
        await expectText(page.locator('#cart-subtotal'), usd(2 * price));
        await page.getByLabel('Quantity').fill('3');
        await page.getByLabel('Quantity').press('Tab');
        await expectText(page.locator('#cart-subtotal'), usd(3 * price));
        await expectText(page.locator('.subtotal span'), 'Subtotal (3 items)');
        await page.getByLabel('Quantity').fill('2');
        await page.getByLabel('Quantity').press('Tab');
        await expectText(page.locator('#cart-subtotal'), usd(2 * price));
        await expectText(page.locator('main [role=status]'),
            `${product.name}: quantity changed to 2.`);
        await screenshot(page, 'cart');

        // --- sign up: the guest cart is kept (merged at sign-in)
        const shopper = newShopper('Journey');
        await page.getByRole('link', {name: 'Create account'}).click();
        await expectText(page.locator('h1'), 'Create an account');
        await page.getByLabel('Full name').fill(shopper.name);
        await page.getByLabel('Email').fill(shopper.email);
        await page.getByLabel('Password').fill(shopper.password);
        await page.getByRole('button', {name: 'Create account'}).click();
        await expectText(page.locator('#notice > span'),
            `Welcome to Mercato, ${shopper.name}! You are signed in.`);
        await expectText(page.locator('.greeting'), `Hi, ${shopper.name}`);
        await expectText(page.locator('#cart-count'), '2');
        await page.locator('.cart-link').click();
        await expectText(page.locator('#cart-subtotal'), usd(2 * price));
        // A reload keeps the session (refresh token in sessionStorage) and the deep link.
        await page.reload();
        await expectText(page.locator('h1'), 'Your cart');
        await expectText(page.locator('.greeting'), `Hi, ${shopper.name}`);
        await expectText(page.locator('#cart-subtotal'), usd(2 * price));

        // --- checkout with the approved test card; a double click sends one request
        const expected = orderTotals(2 * price);
        await page.getByRole('link', {name: 'Proceed to checkout'}).click();
        await expectUrl(page, `${BASE}/checkout`);
        await expectText(page.locator('h1'), 'Checkout');
        await expectText(page.locator('.order-summary .subtotal dd'), usd(expected.subtotal));
        await expectText(page.locator('.order-summary .total dd'), usd(expected.total));
        assert.equal(await page.getByLabel('Full name').inputValue(), shopper.name);
        await expectText(page.locator('#card-hint'), 'Test shop: no real card is charged. Use ' +
          '4242 4242 4242 4242 (approved) or 4000 0000 0000 0002 (declined), any future expiry ' +
          'date and any 3-digit CVC.');
        await fillAddress(page);
        await fillCard(page, '4242 4242 4242 4242');
        await screenshot(page, 'checkout');
        await page.getByRole('button', {name: 'Place order'}).dblclick();
        await expectUrl(page, /\/orders\/[^/]+\/confirmation$/);
        assert.equal(checkoutKeys.length, 1, 'one POST /api/v1/checkout for a double click');
        assert.match(checkoutKeys[0], UUID);

        // --- confirmation, against the order the API has
        const token = await tokenFor(shopper);
        const {orders} = await apiOk('GET', '/api/v1/orders', {token});
        assert.equal(orders.length, 1);
        const order = orders[0];
        assert.ok(['paid', 'fulfilling'].includes(order.status), order.status);
        assert.deepEqual(order.items.map((i) => [i.product_id, i.quantity]), [[product.id, 2]]);
        assert.deepEqual([order.subtotal.amount, order.shipping.amount, order.tax.amount,
          order.total.amount], [expected.subtotal, expected.shipping, expected.tax, expected.total]);
        const number = order.id.slice(0, 8).toUpperCase();
        assert.equal(page.url(), `${BASE}/orders/${order.id}/confirmation`);
        await expectText(page.locator('h1'), 'Thank you! Your order is confirmed.');
        await expectText(page.locator('#order-number'), number);
        await expectText(page.locator('.order-totals .subtotal dd'), usd(expected.subtotal));
        await expectText(page.locator('.order-totals .shipping dd'),
            expected.shipping ? usd(expected.shipping) : 'Free');
        await expectText(page.locator('.order-totals .tax dd'), usd(expected.tax));
        await expectText(page.locator('.order-totals .total dd'), usd(expected.total));
        await expectText(page.locator('.order-facts'),
            `Shipping to ${shopper.name} 1 Market Street 62701 Springfield IL United States ` +
            `Paid with ${order.card_brand.charAt(0).toUpperCase()}${order.card_brand.slice(1)} ` +
            'ending in 4242');
        await page.locator('#cart-count').waitFor({state: 'detached'});
        await screenshot(page, 'confirmation');

        // --- the order history and the order's page
        await page.getByRole('link', {name: 'All your orders'}).click();
        await expectText(page.locator('h1'), 'Your orders');
        await expectTexts(page.locator('.order-link'), [`Order ${number}`]);
        await expectPaidStatuses(page.locator('.order-status'), 1);
        await expectTexts(page.locator('.order-total'), [usd(expected.total)]);
        await page.getByRole('link', {name: `Order ${number}`}).click();
        await expectText(page.locator('h1'), `Order ${number}`);
        await expectTexts(page.locator('.order-items tbody th'), [product.name]);
        // The address was saved for next time.
        const {addresses} = await apiOk('GET', '/api/v1/me/addresses', {token});
        assert.deepEqual(addresses.map((a) => a.line1), ['1 Market Street']);

        // Signing out forgets the refresh token here and revokes it at the server.
        const stored = await page.evaluate(() => ({
          session: Object.keys(sessionStorage), local: Object.keys(localStorage),
          refresh: sessionStorage.getItem('mercato.refresh_token')}));
        assert.deepEqual([stored.session, stored.local], [['mercato.refresh_token'], []]);
        await page.getByRole('button', {name: 'Sign out'}).click();
        await expectText(page.locator('#notice > span'), 'You are signed out.');
        await expectText(page.locator('.account-nav a').first(), 'Sign in');
        assert.equal(await page.evaluate(() => sessionStorage.length), 0);
        const reused = await api('POST', '/api/v1/sessions/refresh',
            {body: {refresh_token: stored.refresh}});
        assert.equal(reused.status, 401);
        assertNoProblems(page);
        await page.context().close();
      });

  test('a declined card shows the error and creates no order; a lost answer is retried with ' +
      'the same Idempotency-Key and charges once', async () => {
    const shopper = newShopper('Declined');
    await registerShopper(shopper);
    const product = await productWithStock('category=books&page_size=20', 3);
    const page = await newPage(browser);
    const checkoutKeys = recordCheckouts(page);

    // A deep link to the product, add one as a guest, checkout asks to sign in first.
    await page.goto(`${BASE}/products/${product.id}`);
    await expectText(page.locator('h1'), product.name);
    await page.getByRole('button', {name: 'Add to cart'}).click();
    await expectText(page.locator('#cart-count'), '1');
    await page.goto(`${BASE}/checkout`);
    await expectUrl(page, `${BASE}/signin?next=%2Fcheckout`);
    await expectText(page.locator('h1'), 'Sign in');
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await expectUrl(page, `${BASE}/checkout`);
    await expectText(page.locator('h1'), 'Checkout');

    // The declined card: a clear message, focus back on the card number, nothing ordered.
    await fillAddress(page, {line1: '9 Rue de Rivoli', city: 'Paris', region: '',
      postal: '75001', country: 'FR'});
    await fillCard(page, '4000 0000 0000 0002');
    await page.getByRole('button', {name: 'Place order'}).click();
    await expectText(page.locator('.checkout-form [role=alert]'), DECLINED);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'card_number');
    assert.equal(page.url(), `${BASE}/checkout`);
    const token = await tokenFor(shopper);
    // The checkout service records the attempt, failed, with nothing charged: no order.
    const declined = (await apiOk('GET', '/api/v1/orders', {token})).orders;
    assert.deepEqual(declined.map((o) => [o.status, o.failure_code, o.card_last4]),
        [['failed', 'payment_declined', '']]);
    assert.equal((await apiOk('GET', `/api/v1/products/${product.id}`)).stock, product.stock);
    await expectText(page.locator('#cart-count'), '1');

    // The same declined card again: the first attempt had its final answer, so a new key.
    await page.getByRole('button', {name: 'Place order'}).click();
    await expectText(page.locator('.checkout-form [role=alert]'), DECLINED);
    assert.equal(checkoutKeys.length, 2);
    assert.notEqual(checkoutKeys[1], checkoutKeys[0]);

    // The approved card, but the answer is lost on the way back (the order is placed):
    // pressing the button again repeats the same key and gets the same order.
    await fillCard(page, '4242424242424242');
    let lost = 0;
    await page.route('**/api/v1/checkout', async (route) => {
      if (lost++ === 0) {
        await route.fetch();  // reaches the gateway, which places the order
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await page.getByRole('button', {name: 'Place order'}).click();
    await expectText(page.locator('.checkout-form [role=alert]'),
        'We can’t reach the shop right now. Check your connection and try again. We could not ' +
        'confirm your order. Press “Place order” to try again: you will not be charged twice. ' +
        'Or check your orders.');
    await page.getByRole('button', {name: 'Place order'}).click();
    await expectUrl(page, /\/orders\/[^/]+\/confirmation$/);
    assert.equal(checkoutKeys.length, 4);
    assert.notEqual(checkoutKeys[2], checkoutKeys[1]);
    assert.equal(checkoutKeys[3], checkoutKeys[2], 'the retry reuses the key');
    const {orders} = await apiOk('GET', '/api/v1/orders', {token});
    // The paid one may already be packed (FULFILLING follows PAID at once).
    assert.deepEqual(orders.map((o) => o.status === 'fulfilling' ? 'paid' : o.status),
        ['paid', 'failed', 'failed']);
    const paid = orders[0];
    assert.equal(page.url(), `${BASE}/orders/${paid.id}/confirmation`);
    assert.equal((await apiOk('GET', `/api/v1/products/${product.id}`)).stock, product.stock - 1);
    await expectText(page.locator('h1'), 'Thank you! Your order is confirmed.');
    await expectText(page.locator('.order-totals .total dd'), usd(paid.total.amount));
    // The history lists the one order; the two declined attempts are not orders.
    await page.getByRole('link', {name: 'All your orders'}).click();
    await expectTexts(page.locator('.order-link'),
        [`Order ${paid.id.slice(0, 8).toUpperCase()}`]);
    await expectPaidStatuses(page.locator('.order-status'), 1);
    assertNoProblems(page);
    await page.context().close();
  });

  test('on a phone the home page, a product and the cart fit the screen', async () => {
    const page = await newPage(browser, PHONE);
    const [first, second] = [await productWithStock('category=toys&page_size=20', 2),
      await productWithStock('category=office&page_size=20', 2)];
    await page.goto(`${BASE}/`);
    await expectText(page.locator('h1'), 'Welcome to Mercato');
    await page.locator('.product-grid img').first().waitFor();
    await assertFitsWidth(page, 'home');
    await screenshot(page, 'home-phone');

    for (const product of [first, second]) {
      await page.goto(`${BASE}/products/${product.id}`);
      await expectText(page.locator('h1'), product.name);
      await assertFitsWidth(page, 'product');
      await page.getByRole('button', {name: 'Add to cart'}).tap();
      await expectText(page.locator('.add-to-cart [role=status]'),
          `Added 1 × ${product.name} to your cart. View cart`);
    }
    await page.getByRole('link', {name: 'View cart'}).tap();
    await expectText(page.locator('h1'), 'Your cart');
    // The page shares the browser's cookie, so this is the same guest cart.
    const cart = await (await page.request.get(`${BASE}/api/v1/cart`)).json();
    assert.deepEqual(cart.items.map((i) => i.product_id).sort(), [first.id, second.id].sort());
    await expectTexts(page.locator('.cart-name'), cart.items.map((i) => i.name));
    await expectText(page.locator('#cart-subtotal'),
        usd(first.price.amount + second.price.amount));
    await assertFitsWidth(page, 'cart');
    await screenshot(page, 'cart-phone');
    await page.getByRole('button', {name: `Remove ${first.name} from your cart`}).tap();
    await expectTexts(page.locator('.cart-name'), [second.name]);
    await expectText(page.locator('#cart-subtotal'), usd(second.price.amount));
    await expectText(page.locator('main [role=status]'),
        `${first.name} was removed from your cart.`);
    await assertFitsWidth(page, 'cart after removing a line');
    assertNoProblems(page);
    await page.context().close();
  });

  test('an unavailable backend, an expired session and out-of-stock get clear messages',
      async () => {
        const page = await newPage(browser);
        // The catalog is down: an explanation and a way to try again, never a blank page.
        const listing = (url) => url.pathname === '/api/v1/products';
        await page.route(listing, (route) => route.fulfill({
          status: 503, contentType: 'application/json',
          body: JSON.stringify({error: {code: 'service_unavailable',
            message: 'catalog is unavailable', request_id: 'journey-503'}})}));
        await page.goto(`${BASE}/`);
        await expectText(page.locator('h1'), 'The shop could not be loaded');
        await expectText(page.locator('.error-panel > p').first(),
            'Part of the shop is temporarily unavailable. Please try again in a moment.');
        await expectText(page.locator('.reference'), 'Reference: journey-503');
        await page.unroute(listing);
        await page.getByRole('button', {name: 'Try again'}).click();
        await expectText(page.locator('h1'), 'Welcome to Mercato');
        // No network at all.
        const oneProduct = (url) => url.pathname.startsWith('/api/v1/products/');
        await page.route(oneProduct, (route) => route.abort('connectionrefused'));
        await page.goto(`${BASE}/products/anything`);
        await expectText(page.locator('h1'), 'This product could not be loaded');
        await expectText(page.locator('.error-panel > p').first(),
            'We can’t reach the shop right now. Check your connection and try again.');
        await page.unroute(oneProduct);

        // Signed in; the access token is refused once: renewed silently, the page loads.
        const shopper = newShopper('Session');
        await registerShopper(shopper);
        await page.goto(`${BASE}/signin`);
        await page.getByLabel('Email').fill(shopper.email);
        await page.getByLabel('Password').fill(shopper.password);
        await page.getByRole('button', {name: 'Sign in'}).click();
        await expectText(page.locator('.greeting'), `Hi, ${shopper.name}`);
        const expired = (route) => route.fulfill({status: 401, contentType: 'application/json',
          body: JSON.stringify({error: {code: 'token_expired', message: 'token expired',
            request_id: 'journey-401'}})});
        let refused = 0;
        const orderList = (url) => url.pathname === '/api/v1/orders';
        const refreshCall = (url) => url.pathname === '/api/v1/sessions/refresh';
        await page.route(orderList, (route) =>
          refused++ === 0 ? expired(route) : route.continue());
        const refresh = page.waitForRequest((r) => refreshCall(new URL(r.url())));
        await page.getByRole('link', {name: 'Orders'}).click();
        await refresh;
        await expectText(page.locator('h1'), 'Your orders');
        await expectText(page.locator('.empty'), 'You have no orders yet. Start shopping');
        await page.unroute(orderList);

        // The refresh token is refused too: the session is over, the shopper is told.
        await page.route(orderList, expired);
        await page.route(refreshCall, (route) => route.fulfill({status: 401,
          contentType: 'application/json', body: JSON.stringify({error: {
            code: 'invalid_refresh_token', message: 'refresh token is not valid',
            request_id: 'journey-401b'}})}));
        await page.goto(`${BASE}/orders`);  // a reload: only the refresh token is left
        await expectText(page.locator('h1'), 'Please sign in');
        await expectText(page.locator('main [role=alert]'), 'Please sign in to see your orders.');
        await expectText(page.locator('#notice > span'),
            'Your session has expired. Please sign in again; your cart is kept.');
        await expectText(page.locator('.account-nav a').first(), 'Sign in');
        await page.unrouteAll();

        // Out of stock between the cart and the order: nothing charged, the cart to review.
        const product = await productWithStock('category=sports&page_size=20', 3);
        const admin = await adminToken();
        try {
          await page.goto(`${BASE}/signin?next=%2Fproducts%2F${product.id}`);
          await page.getByLabel('Email').fill(shopper.email);
          await page.getByLabel('Password').fill(shopper.password);
          await page.getByRole('button', {name: 'Sign in'}).click();
          await expectText(page.locator('h1'), product.name);
          await page.getByLabel('Quantity').fill('2');
          await page.getByRole('button', {name: 'Add to cart'}).click();
          await expectText(page.locator('#cart-count'), '2');
          await page.goto(`${BASE}/checkout`);
          await fillAddress(page);
          await fillCard(page, '4242424242424242');
          await apiOk('PATCH', `/api/v1/admin/products/${product.id}`,
              {token: admin, body: {stock: 1}});
          await page.getByRole('button', {name: 'Place order'}).click();
          await expectText(page.locator('.checkout-form [role=alert]'),
              'Sorry, some items in your cart are no longer in stock in the quantity you chose. ' +
              'Nothing was charged. Review your cart');
          await page.getByRole('link', {name: 'Review your cart'}).click();
          await expectText(page.locator('.cart-line .stock'),
              'Only 1 left: lower the quantity to check out.');
        } finally {
          await api('PATCH', `/api/v1/admin/products/${product.id}`,
              {token: admin, body: {stock: product.stock}});
        }
        assertNoProblems(page);
        await page.context().close();
      });

  test('the order page shows the timeline and cancels the order with its Cancel button',
      async () => {
        const shopper = newShopper('Cancel');
        await registerShopper(shopper);
        const token = await tokenFor(shopper);
        const product = await productWithStock('category=books&page_size=20', 2);
        await apiOk('POST', '/api/v1/cart/items',
            {token, body: {product_id: product.id, quantity: 1}});
        const placed = await apiOk('POST', '/api/v1/checkout', {
          token,
          headers: {'Idempotency-Key': `browser-cancel-${shopper.email}`.replace(/[@]/g, '.')},
          body: {
            shipping_address: {name: shopper.name, line1: '1 Market Street', city: 'Springfield',
              region: 'IL', postal_code: '62701', country: 'US'},
            payment: {card: {number: '4242424242424242', exp_month: 12,
              exp_year: new Date().getFullYear() + 2, cvc: '123'}},
          },
        });
        const paid = await apiOk('GET', `/api/v1/orders/${placed.id}`, {token});
        assert.ok(['paid', 'fulfilling'].includes(paid.status), paid.status);
        assert.equal(paid.cancellable, true);
        assert.equal(paid.timeline[0].status, 'paid');
        const when = (iso) => new Intl.DateTimeFormat('en-US',
            {dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC'}).format(new Date(iso));

        const page = await newPage(browser);
        await page.goto(`${BASE}/signin?next=${encodeURIComponent(`/orders/${placed.id}`)}`);
        await page.getByLabel('Email').fill(shopper.email);
        await page.getByLabel('Password').fill(shopper.password);
        await page.getByRole('button', {name: 'Sign in'}).click();
        await expectUrl(page, `${BASE}/orders/${placed.id}`);
        const number = placed.id.slice(0, 8).toUpperCase();
        await expectText(page.locator('h1'), `Order ${number}`);
        // The fulfillment worker may already be packing it (FULFILLING follows PAID at once);
        // it ships only after MERCATO_FULFILLMENT_SHIP_DELAY_MS (30 s), so it is cancellable.
        const shown = await page.waitForFunction((labels) => {
          const text = document.querySelector('#order-status')?.innerText.trim();
          return labels.includes(text) ? text : null;
        }, [LABELS.paid, LABELS.fulfilling], {timeout: 10_000}).then((h) => h.jsonValue());
        const steps = shown === LABELS.paid ? [LABELS.paid] : [LABELS.paid, LABELS.fulfilling];
        await expectTexts(page.locator('.timeline-entry .timeline-status'), steps);
        await expectText(page.locator('.timeline-entry .timeline-at').first(),
            when(paid.timeline[0].at));
        await screenshot(page, 'order-timeline');

        await page.getByRole('button', {name: 'Cancel order'}).click();
        await expectText(page.locator('#order-status'), 'Cancelled');
        const cancelled = await apiOk('GET', `/api/v1/orders/${placed.id}`, {token});
        assert.equal(cancelled.status, 'cancelled');
        assert.equal(cancelled.cancellable, false);
        assert.deepEqual(cancelled.refunded, paid.total);
        await expectText(page.locator('.order-meta + [role=status]'),
            'Your order is cancelled. The money goes back to your card.');
        await expectTexts(page.locator('.timeline-entry .timeline-status'),
            cancelled.timeline.map((e) => LABELS[e.status]));
        await expectText(page.locator('.order-refunded'), `Refunded: ${usd(paid.total.amount)}`);
        assert.equal(await page.getByRole('button', {name: 'Cancel order'}).count(), 0);
        await screenshot(page, 'order-cancelled');
        assertNoProblems(page);
        await page.context().close();
      });

  test('the footer links the API reference, which shows every operation the gateway serves',
      async () => {
        const spec = await apiOk('GET', '/api/v1/openapi.json');
        const methods = ['get', 'post', 'put', 'patch', 'delete'];
        const expected = Object.entries(spec.paths).flatMap(([path, item]) =>
          methods.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`)).sort();
        const page = await newPage(browser);
        await page.goto(`${BASE}/`);
        await page.locator('footer a', {hasText: 'API reference'}).click();
        await expectUrl(page, `${BASE}/api-reference.html`);
        await expectText(page.locator('h1'), `${spec.info.title} ${spec.info.version}`);
        const shown = (await page.locator('.api-operation h3').allInnerTexts())
            .map((t) => t.replace(/\s+/g, ' ').trim()).sort();
        assert.deepEqual(shown, expected);
        await expectText(page.locator('#checkout .api-auth'), 'Who may call it: bearerAuth');
        assertNoProblems(page);
        await page.context().close();
      });
});
