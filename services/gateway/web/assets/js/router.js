// A small History API router. Routes are path patterns with :params; a view is an async
// function (ctx) that renders into ctx.main. Same-origin links are followed without a page
// load; the gateway answers deep links (/products/42) with index.html, so every URL also
// works when typed, bookmarked or reloaded.
//
//   route('/products/:id', productView);
//   start(document.getElementById('main'));
//   navigate('/cart');

const routes = [];
let main = null;
let notFoundView = null;
let current = null;  // {controller} of the page being shown
let firstRender = true;
const beforeRenderHooks = [];

// Runs `fn` before each page is shown.
export function beforeRender(fn) {
  beforeRenderHooks.push(fn);
}

export function route(pattern, view) {
  const keys = [];
  const source = pattern.replace(/\/:([a-z_]+)/g, (_, key) => {
    keys.push(key);
    return '/([^/]+)';
  });
  routes.push({regex: new RegExp(`^${source}/?$`), keys, view});
}

export function notFound(view) {
  notFoundView = view;
}

function match(pathname) {
  for (const r of routes) {
    const m = r.regex.exec(pathname);
    if (!m) continue;
    const params = {};
    r.keys.forEach((key, i) => {
      try {
        params[key] = decodeURIComponent(m[i + 1]);
      } catch {
        params[key] = m[i + 1];
      }
    });
    return {view: r.view, params};
  }
  return {view: notFoundView, params: {}};
}

export function navigate(url, {replace = false, state = null} = {}) {
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  return render();
}

// The path and query of the current page ("/cart", "/search?q=mug").
export function currentPath() {
  return location.pathname + location.search;
}

// Shows the page for the current URL. A view that is still loading when the shopper moves
// on is abandoned: its ctx.signal aborts and ctx.show() does nothing any more.
export async function render() {
  current?.controller.abort();
  const controller = new AbortController();
  current = {controller};
  for (const hook of beforeRenderHooks) hook();
  const {view, params} = match(location.pathname);
  const focusHeading = !firstRender;
  firstRender = false;
  const ctx = {
    main,
    params,
    query: new URLSearchParams(location.search),
    state: history.state,
    signal: controller.signal,
    get stale() {
      return controller.signal.aborted;
    },
    // Replaces the page content and announces the page: title, focus on the heading (so
    // keyboard and screen-reader users start at the new content), scroll to the top.
    show(title, ...nodes) {
      if (controller.signal.aborted) return false;
      document.title = title ? `${title} · Mercato` : 'Mercato';
      main.replaceChildren(...nodes.flat().filter(Boolean));
      main.setAttribute('aria-busy', 'false');
      if (focusHeading) {
        const heading = main.querySelector('h1');
        if (heading) {
          heading.setAttribute('tabindex', '-1');
          heading.focus({preventScroll: true});
        } else {
          main.focus({preventScroll: true});
        }
      }
      window.scrollTo(0, 0);
      return true;
    },
  };
  main.setAttribute('aria-busy', 'true');
  try {
    await view(ctx);
  } catch (e) {
    if (e?.name === 'AbortError' || controller.signal.aborted) return;
    throw e;
  } finally {
    if (!controller.signal.aborted) main.setAttribute('aria-busy', 'false');
  }
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
      event.shiftKey || event.altKey) {
    return;
  }
  const a = event.target.closest('a[href]');
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  // API URLs and files (images, ...) are real documents, not app pages.
  if (url.pathname.startsWith('/api/') || /\.[a-z0-9]+$/i.test(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search, {state: a.routeState ?? null});
}

export function start(mainElement) {
  main = mainElement;
  history.scrollRestoration = 'manual';
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => render());
  return render();
}
