// Browsing: the home page, a category, search results and a product.
import * as api from '../api.js';
import {formatMoney} from '../format.js';
import {h, productImage} from '../dom.js';
import {
  describeError, loading, messageArea, pager, productGrid, setMessage, showPageError, stockText,
} from './common.js';

const PAGE_SIZE = 12;
const FEATURED = 8;

function categoryNav(categories) {
  return h('nav', {class: 'categories', 'aria-labelledby': 'categories-heading'},
      h('h2', {id: 'categories-heading'}, 'Shop by category'),
      h('ul', null, categories.map((c) =>
        h('li', null, h('a', {href: `/categories/${encodeURIComponent(c.id)}`}, c.name)))));
}

export async function homeView(ctx) {
  loading(ctx);
  try {
    const [categories, featured] = await Promise.all([
      api.listCategories(ctx.signal),
      api.listProducts({pageSize: FEATURED}, ctx.signal),
    ]);
    ctx.show('', h('section', {class: 'hero'},
        h('h1', null, 'Welcome to Mercato'),
        h('p', null, 'Everyday things, fairly priced. Free shipping on orders of $50 or more.')),
    categoryNav(categories),
    h('section', {'aria-labelledby': 'featured-heading'},
        h('h2', {id: 'featured-heading'}, 'Featured products'),
        productGrid(featured.products ?? [], 'Featured products')));
  } catch (e) {
    showPageError(ctx, e, 'The shop could not be loaded');
  }
}

export async function categoryView(ctx) {
  loading(ctx);
  const id = ctx.params.id;
  try {
    const [categories, page] = await Promise.all([
      api.listCategories(ctx.signal),
      api.listProducts({category: id, pageToken: ctx.query.get('page_token'),
        pageSize: PAGE_SIZE}, ctx.signal),
    ]);
    const category = categories.find((c) => c.id === id);
    if (!category) {
      throw new api.ApiError(404, 'not_found', 'no such category');
    }
    const products = page.products ?? [];
    ctx.show(category.name,
        h('nav', {class: 'breadcrumbs', 'aria-label': 'Breadcrumb'},
            h('a', {href: '/'}, 'Home'), ' › ', h('span', {'aria-current': 'page'}, category.name)),
        h('h1', null, category.name),
        products.length ? productGrid(products, category.name) :
          h('p', null, 'There are no products in this category yet.'),
        pager(ctx, `/categories/${encodeURIComponent(id)}`, page.next_page_token));
  } catch (e) {
    showPageError(ctx, e, 'This category could not be loaded');
  }
}

export async function searchView(ctx) {
  const q = (ctx.query.get('q') ?? '').trim();
  const input = document.getElementById('search-q');
  if (input && document.activeElement !== input) input.value = q;
  if (!q) {
    ctx.show('Search', h('h1', null, 'Search'),
        h('p', null, 'Type what you are looking for in the search box above.'));
    return;
  }
  loading(ctx, 'Searching…');
  try {
    const page = await api.listProducts({q, pageToken: ctx.query.get('page_token'),
      pageSize: PAGE_SIZE}, ctx.signal);
    const products = page.products ?? [];
    ctx.show(`Search: ${q}`,
        h('h1', null, `Results for “${q}”`),
        products.length ? productGrid(products, `Results for ${q}`) :
          h('p', {class: 'empty'}, `No products match “${q}”. Try another word.`),
        products.length ? pager(ctx, '/search', page.next_page_token) : null);
  } catch (e) {
    showPageError(ctx, e, 'The search could not be run');
  }
}

export async function productView(ctx) {
  loading(ctx);
  let product;
  let categories = [];
  try {
    [product, categories] = await Promise.all([
      api.getProduct(ctx.params.id, ctx.signal),
      api.listCategories(ctx.signal).catch(() => []),
    ]);
  } catch (e) {
    showPageError(ctx, e, 'This product could not be loaded');
    return;
  }
  const category = categories.find((c) => product.categories?.includes(c.id));
  const message = messageArea();
  const error = messageArea('error');
  const max = Math.max(1, Math.min(product.stock, 99));
  const quantity = h('input', {id: 'quantity', name: 'quantity', type: 'number', min: 1, max,
    value: '1', inputmode: 'numeric', required: true, disabled: product.stock <= 0});
  const add = h('button', {type: 'submit', class: 'button primary', disabled: product.stock <= 0},
      product.stock <= 0 ? 'Out of stock' : 'Add to cart');

  const form = h('form', {class: 'add-to-cart', novalidate: true},
      h('label', {for: 'quantity'}, 'Quantity'),
      quantity, add, error, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const n = Number(quantity.value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      setMessage(message, 'info');
      setMessage(error, 'error', `Choose a quantity from 1 to ${max}.`);
      quantity.focus();
      return;
    }
    add.disabled = true;
    setMessage(error, 'error');
    setMessage(message, 'info', 'Adding to your cart…');
    try {
      const cart = await api.addToCart(product.id, n);
      const line = cart.items?.find((i) => i.product_id === product.id);
      setMessage(message, 'success',
          `Added ${n} × ${product.name} to your cart` +
          (line && line.quantity !== n ? ` (${line.quantity} in your cart now). ` : '. '),
          h('a', {href: '/cart'}, 'View cart'));
    } catch (e) {
      setMessage(message, 'info');
      setMessage(error, 'error', e.code === 'out_of_stock' ?
        'Sorry, there isn’t enough stock left for that quantity.' : describeError(e));
    } finally {
      add.disabled = false;
    }
  });

  ctx.show(product.name,
      h('nav', {class: 'breadcrumbs', 'aria-label': 'Breadcrumb'},
          h('a', {href: '/'}, 'Home'),
          category ? [' › ', h('a', {href: `/categories/${encodeURIComponent(category.id)}`},
              category.name)] : null,
          ' › ', h('span', {'aria-current': 'page'}, product.name)),
      h('article', {class: 'product-detail'},
          h('div', {class: 'product-image'}, productImage(product.image_url, product.name,
              {lazy: false})),
          h('div', {class: 'product-info'},
              h('h1', null, product.name),
              h('p', {class: 'price large'}, formatMoney(product.price)),
              h('p', {class: `stock ${product.stock <= 0 ? 'out' : ''}`.trim(), id: 'stock'},
                  stockText(product.stock)),
              h('p', {class: 'description'}, product.description),
              form)));
}
