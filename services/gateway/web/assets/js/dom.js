// Building DOM nodes without innerHTML: every piece of text from the API goes in through
// textContent / attribute values, so product names, addresses or error messages can never
// become markup (with the page's CSP, the second line of defence against XSS).
//
//   h('a', {href: '/cart', class: 'button'}, 'View cart')
//   h('button', {type: 'button', onclick: () => ...}, 'Remove')

// Element properties rather than attributes (state that the user can change).
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'indeterminate']);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.className = value;
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Replaces the children of `el`.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// The versioned URL of a file under assets/ (this module lives in assets/js/).
export function assetUrl(path) {
  return new URL(`../${path}`, import.meta.url).pathname;
}

// A product image, falling back to a neutral placeholder when it is missing or fails to
// load (an off-site image is refused by the CSP, for example). `alt` is empty when the
// image sits next to the product name in the same link.
export function productImage(url, alt, {width = 240, height = 250, lazy = true} = {}) {
  const placeholder = assetUrl('placeholder.svg');
  const img = h('img', {
    src: url && url.startsWith('/') && !url.startsWith('//') ? url : placeholder,
    alt,
    width,
    height,
    loading: lazy ? 'lazy' : null,
    decoding: 'async',
  });
  img.addEventListener('error', () => {
    if (!img.src.endsWith(placeholder)) img.src = placeholder;
  }, {once: true});
  return img;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
