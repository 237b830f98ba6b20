// Helpers for the storefront journeys: the browser, the API seen from outside the page, exact
// expectations (money formatted independently of the app's code), screenshots.
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';

export const BASE = process.env.MERCATO_URL ?? 'http://127.0.0.1:8280';
const CHROMIUM = process.env.MERCATO_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.MERCATO_ARTIFACTS ??
  path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname),
      '../artifacts/browser');

// Debian's Chromium, headless. playwright-core starts it with a fresh temporary profile
// (--user-data-dir) of its own on every launch and removes it on close.
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = {viewport: {width: 1280, height: 900}, locale: 'en-US', timezoneId: 'UTC'};
export const PHONE = {viewport: {width: 390, height: 844}, deviceScaleFactor: 3, isMobile: true,
  hasTouch: true, locale: 'en-US', timezoneId: 'UTC'};

// A page that fails the test on a JavaScript error or a console error other than a failed
// HTTP status (the API's 402 / 409 / 503 are expected in some journeys). CSP violations are
// console errors, so a page breaking its own policy fails here.
export async function newPage(browser, options = DESKTOP) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      page.problems.push(`console error: ${m.text()}`);
    }
  });
  page.setDefaultTimeout(15_000);
  return page;
}

export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}

// "$1,234.56" from 123456 minor units of USD, written without Intl so that it checks the
// app's formatting rather than repeating it.
export function usd(amount) {
  const negative = amount < 0;
  const cents = String(Math.abs(amount)).padStart(3, '0');
  const whole = cents.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${whole}.${cents.slice(-2)}`;
}

// The checkout service's documented rules (services/checkout/pricing.h).
export function orderTotals(subtotal) {
  const shipping = subtotal >= 5000 ? 0 : 499;
  const tax = Math.floor((subtotal * 800 + 5000) / 10000);
  return {subtotal, shipping, tax, total: subtotal + shipping + tax};
}

// Waits until the locator's rendered text (innerText, whitespace collapsed) is `expected`:
// the app renders asynchronously.
export async function expectText(locator, expected, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let text;
  for (;;) {
    text = (await locator.innerText({timeout: Math.max(1, deadline - Date.now())}))
        .replace(/\s+/g, ' ').trim();
    if (text === expected || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(text, expected);
}

export async function expectTexts(locator, expected, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let texts;
  for (;;) {
    texts = (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    if (JSON.stringify(texts) === JSON.stringify(expected) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(texts, expected);
}

export async function expectUrl(page, pattern, timeout = 10_000) {
  await page.waitForURL(pattern, {timeout});
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  await page.screenshot({path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, scale: 'css'});
}

// No horizontal scrolling: the page is no wider than the viewport.
export async function assertFitsWidth(page, what) {
  const {scrollWidth, innerWidth} = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth}));
  assert.ok(scrollWidth <= innerWidth, `${what}: scrollWidth ${scrollWidth} > ${innerWidth}`);
}

// --- the API, as a separate client (its own session, not the page's) ----------------------

export async function api(method, urlPath, {body, token, headers = {}} = {}) {
  const response = await fetch(BASE + urlPath, {
    method,
    headers: {
      ...(body !== undefined ? {'Content-Type': 'application/json'} : {}),
      ...(token ? {Authorization: `Bearer ${token}`} : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return {status: response.status, json: text ? JSON.parse(text) : null};
}

export async function apiOk(method, urlPath, options) {
  const r = await api(method, urlPath, options);
  assert.ok(r.status >= 200 && r.status < 300,
      `${method} ${urlPath}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

export function newShopper(label) {
  const id = randomUUID().slice(0, 8);
  return {name: `${label} Shopper ${id}`, email: `${label.toLowerCase()}-${id}@example.com`,
    password: `Browser-journey-${id}-pw`};
}

export async function registerShopper(shopper) {
  await apiOk('POST', '/api/v1/users', {body: shopper});
}

export async function tokenFor(shopper) {
  const session = await apiOk('POST', '/api/v1/sessions',
      {body: {email: shopper.email, password: shopper.password}});
  return session.access_token;
}

export async function adminToken() {
  const session = await apiOk('POST', '/api/v1/sessions',
      {body: {email: process.env.MERCATO_ADMIN_EMAIL ?? 'admin@mercato.local',
        password: process.env.MERCATO_ADMIN_PASSWORD ?? 'mercato-admin'}});
  return session.access_token;
}

// A product with at least `stock` units, from a listing.
export async function productWithStock(query, stock) {
  const {products} = await apiOk('GET', `/api/v1/products?${query}`);
  const product = products.find((p) => p.stock >= stock);
  assert.ok(product, `no product with ${stock} in stock for ${query}`);
  return product;
}

export function stockText(stock) {
  if (stock <= 0) return 'Out of stock';
  if (stock <= 10) return `Only ${stock} left in stock`;
  return `In stock: ${stock} left`;
}

// Fills the new-address part of the checkout form.
export async function fillAddress(page, {line1 = '1 Market Street', city = 'Springfield',
  region = 'IL', postal = '62701', country = 'US'} = {}) {
  await page.getByLabel('Address line 1').fill(line1);
  await page.getByLabel('City').fill(city);
  await page.getByLabel('State / region').fill(region);
  await page.getByLabel('Postal code').fill(postal);
  await page.getByLabel('Country').selectOption(country);
}

export async function fillCard(page, number) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Month').selectOption('12');
  await page.getByLabel('Year').selectOption(String(new Date().getFullYear() + 2));
  await page.getByLabel('Security code (CVC)').fill('123');
}

// Records the Idempotency-Key of every POST /api/v1/checkout the page sends.
export function recordCheckouts(page) {
  const keys = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/checkout') {
      keys.push(request.headers()['idempotency-key']);
    }
  });
  return keys;
}
