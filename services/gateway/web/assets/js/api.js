// The HTTP/JSON API under /api/v1 and the shopper's session.
//
// Every failure becomes an ApiError {status, code, message, requestId}: the gateway's
// {"error":{"code","message","request_id"}} body when there is one, "network_error" when the
// server could not be reached, "bad_response" for a body that is not the API's JSON.
//
// Where the tokens live, and why:
// - The access token (a JWT valid for at most 15 minutes) is kept in this module's memory
//   only. Nothing else on the page can read it without running code inside this module's
//   scope, and it disappears with the page.
// - The refresh token must survive a reload, so it goes to sessionStorage (never
//   localStorage, never a cookie we cannot mark HttpOnly). Any script running on the page
//   could read either storage, so the real defence is that no foreign script runs: the
//   gateway's Content-Security-Policy allows scripts from this origin only and forbids inline
//   script, and the views never build markup from strings (dom.js). Given that, we prefer
//   sessionStorage over localStorage because it limits the exposure: the token is gone when
//   the tab closes, it is not shared with other tabs (refresh tokens rotate on every use,
//   and two tabs refreshing with one token would look like token theft to the user service
//   and end the session), and a forgotten shared computer does not stay signed in for days.
// - Tokens are never logged, put in a URL, or shown in an error message.
// The cost: each new tab asks the shopper to sign in again. A server-set HttpOnly cookie for
// the refresh token would remove even the storage exposure; the API returns tokens in the
// body, so that would be a gateway change.

export class ApiError extends Error {
  constructor(status, code, message, requestId = '', retryAfter = 0) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

// 'session' (signed in or out), 'session-expired', 'cart' (detail: the cart).
export const events = new EventTarget();

const REFRESH_KEY = 'mercato.refresh_token';
// Refresh this long before the access token expires, so requests rarely meet a 401.
const EXPIRY_MARGIN_MS = 30_000;

let accessToken = null;
let accessExpiresAt = 0;
let currentUser = null;
let refreshing = null;  // the one refresh in flight: refresh tokens rotate, so never two
let memoryRefreshToken = null;  // when sessionStorage is unavailable (some privacy modes)

function storedRefreshToken() {
  try {
    return sessionStorage.getItem(REFRESH_KEY) ?? memoryRefreshToken;
  } catch {
    return memoryRefreshToken;
  }
}

function storeRefreshToken(token) {
  memoryRefreshToken = token;
  try {
    if (token) sessionStorage.setItem(REFRESH_KEY, token);
    else sessionStorage.removeItem(REFRESH_KEY);
    memoryRefreshToken = null;
  } catch {
    // Kept in memory only: the session ends with the page.
  }
}

function startSession(session) {
  accessToken = session.access_token;
  accessExpiresAt = Date.now() + Number(session.expires_in ?? 0) * 1000;
  storeRefreshToken(session.refresh_token);
  currentUser = session.user ?? currentUser;
  events.dispatchEvent(new CustomEvent('session', {detail: currentUser}));
}

function endSession(expired) {
  const wasSignedIn = currentUser !== null || storedRefreshToken() !== null;
  accessToken = null;
  accessExpiresAt = 0;
  currentUser = null;
  storeRefreshToken(null);
  events.dispatchEvent(new CustomEvent('session', {detail: null}));
  if (expired && wasSignedIn) events.dispatchEvent(new Event('session-expired'));
}

export function user() {
  return currentUser;
}

export function signedIn() {
  return currentUser !== null;
}

const STATUS_CODES = {
  400: 'bad_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found',
  409: 'conflict', 429: 'too_many_requests', 502: 'service_unavailable',
  503: 'service_unavailable', 504: 'service_unavailable',
};

// One HTTP exchange, no session logic.
async function send(method, path, {body, token, headers = {}, signal} = {}) {
  const init = {method, headers: {Accept: 'application/json', ...headers}, signal,
    credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let response;
  let text;
  try {
    response = await fetch(path, init);
    text = await response.text();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'The shop could not be reached.');
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (response.ok && data !== undefined) return data;
  const error = data?.error;
  const retryAfter = Number(response.headers.get('Retry-After')) || 0;
  if (error && typeof error.code === 'string') {
    throw new ApiError(response.status, error.code, error.message ?? '', error.request_id ?? '',
        retryAfter);
  }
  // Not the API's JSON: a proxy's error page, a truncated body, ...
  throw new ApiError(response.status, STATUS_CODES[response.status] ?? 'bad_response',
      `Unexpected answer from the shop (HTTP ${response.status}).`,
      response.headers.get('X-Request-Id') ?? '', retryAfter);
}

// Exchanges the refresh token for a new session. Resolves true when signed in afterwards,
// false when the refresh token was refused (the session is over); a network failure
// rejects and keeps the token for a later try.
export function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const refreshToken = storedRefreshToken();
      if (!refreshToken) return false;
      try {
        startSession(await send('POST', '/api/v1/sessions/refresh',
            {body: {refresh_token: refreshToken}}));
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) {
          endSession(true);
          return false;
        }
        throw e;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

// A valid access token, refreshing first when it is missing or about to expire; null for a
// guest.
async function validAccessToken() {
  if (accessToken && Date.now() < accessExpiresAt - EXPIRY_MARGIN_MS) return accessToken;
  if (!storedRefreshToken()) return accessToken;  // a guest, or a token we cannot renew
  await refreshSession();
  return accessToken;
}

const AUTH_FAILURES = new Set(['token_expired', 'invalid_token', 'authentication_required']);

function sessionExpiredError() {
  return new ApiError(401, 'session_expired', 'Your session has expired. Please sign in again.');
}

// An API call. auth: 'none' (never send a token), 'optional' (send it when signed in: the
// cart), 'required' (signed-in only). An expired access token is renewed with the refresh
// token and the call repeated once, with the same headers (so the same Idempotency-Key).
export async function request(method, path, {auth = 'none', body, headers, signal} = {}) {
  let token = null;
  if (auth !== 'none') {
    token = await validAccessToken();
    if (!token && auth === 'required') {
      throw new ApiError(401, 'authentication_required', 'Please sign in first.');
    }
  }
  try {
    return await send(method, path, {body, token, headers, signal});
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401 || !token || !AUTH_FAILURES.has(e.code)) {
      throw e;
    }
  }
  // The access token was refused (expired early, or the signing key rotated): renew, retry.
  if (!(await refreshSession())) throw sessionExpiredError();
  try {
    return await send(method, path, {body, token: accessToken, headers, signal});
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && AUTH_FAILURES.has(e.code)) {
      endSession(true);
      throw sessionExpiredError();
    }
    throw e;
  }
}

// --- session -------------------------------------------------------------------------------

// At start-up: a refresh token in this tab means the shopper signed in before a reload.
export async function restoreSession() {
  if (!storedRefreshToken()) return;
  try {
    await refreshSession();
  } catch {
    // Unreachable for now: stay a guest on screen, keep the token for the next call.
  }
}

export async function signIn(email, password) {
  startSession(await send('POST', '/api/v1/sessions', {body: {email, password}}));
  return currentUser;
}

export async function signUp(name, email, password) {
  await send('POST', '/api/v1/users', {body: {name, email, password}});
  return signIn(email, password);
}

export async function signOut() {
  const refreshToken = storedRefreshToken();
  endSession(false);
  if (refreshToken) {
    try {
      await send('DELETE', '/api/v1/sessions', {body: {refresh_token: refreshToken}});
    } catch {
      // Signed out here regardless; the token expires on its own.
    }
  }
}

// --- catalog -------------------------------------------------------------------------------

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, value);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function listProducts({q, category, pageToken, pageSize} = {}, signal) {
  return request('GET', `/api/v1/products${query({q, category, page_token: pageToken,
    page_size: pageSize})}`, {signal});
}

export function getProduct(id, signal) {
  return request('GET', `/api/v1/products/${encodeURIComponent(id)}`, {signal});
}

let categories = null;

// Categories change rarely: fetched once per page load.
export async function listCategories(signal) {
  if (!categories) {
    categories = (await request('GET', '/api/v1/categories', {signal})).categories ?? [];
  }
  return categories;
}

// --- cart ----------------------------------------------------------------------------------

function cartCall(method, path, body) {
  return request(method, path, {auth: 'optional', body}).then((cart) => {
    events.dispatchEvent(new CustomEvent('cart', {detail: cart}));
    return cart;
  });
}

export const getCart = () => cartCall('GET', '/api/v1/cart');
export const addToCart = (productId, quantity) =>
  cartCall('POST', '/api/v1/cart/items', {product_id: productId, quantity});
export const setCartQuantity = (productId, quantity) =>
  cartCall('PATCH', `/api/v1/cart/items/${encodeURIComponent(productId)}`, {quantity});
export const removeFromCart = (productId) =>
  cartCall('DELETE', `/api/v1/cart/items/${encodeURIComponent(productId)}`);

// --- account -------------------------------------------------------------------------------

export async function listAddresses(signal) {
  return (await request('GET', '/api/v1/me/addresses', {auth: 'required', signal}))
      .addresses ?? [];
}

export function createAddress(address) {
  return request('POST', '/api/v1/me/addresses', {auth: 'required', body: address});
}

// --- checkout and orders -------------------------------------------------------------------

export function placeOrder(body, idempotencyKey) {
  return request('POST', '/api/v1/checkout',
      {auth: 'required', body, headers: {'Idempotency-Key': idempotencyKey}});
}

export function listOrders({pageToken, pageSize} = {}, signal) {
  return request('GET', `/api/v1/orders${query({page_token: pageToken, page_size: pageSize})}`,
      {auth: 'required', signal});
}

export function getOrder(id, signal) {
  return request('GET', `/api/v1/orders/${encodeURIComponent(id)}`, {auth: 'required', signal});
}

// The order, cancelling or cancelled; 409 order_not_cancellable once it has shipped.
export function cancelOrder(id) {
  return request('POST', `/api/v1/orders/${encodeURIComponent(id)}/cancel`, {auth: 'required'});
}
